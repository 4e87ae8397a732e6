import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHook } from 'node:async_hooks'
import { execFile } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { ALARM_RETRY, AlarmScheduler, alarmRetryDelayMs, type AlarmSchedulerOptions } from '../../src/storage/alarm-scheduler.js'
import type { ObjectAddress } from '../../src/runtime/runner-protocol.js'

interface Fired {
  objectId: string
  retryCount: number
  at: number
}

const room = (objectId: string): ObjectAddress => ({ className: 'Room', objectId })

/**
 * A scheduler whose fire() records each call and answers with `outcome` (default: success).
 * Stopped after the test.
 */
function harness(
  t: { after: (fn: () => void) => void },
  outcome: (fired: Fired) => Promise<boolean> | boolean = () => true,
  options: AlarmSchedulerOptions = {},
) {
  const fired: Fired[] = []
  const scheduler = new AlarmScheduler(async (object, retryCount) => {
    const call = { objectId: object.objectId, retryCount, at: Date.now() }
    fired.push(call)
    return outcome(call)
  }, options)
  t.after(() => scheduler.stop())
  return { scheduler, fired }
}

/** Polls until `predicate` holds, failing after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(5)
  }
}

function captureLogger() {
  const lines: { level: number; msg: string; retryCount?: number; err?: { message: string } }[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => { lines.push(JSON.parse(line)) } })
  return { logger, lines }
}

test('Cloudflare\'s retry policy: 2 s doubling, up to 6 retries', () => {
  assert.deepEqual(ALARM_RETRY, { firstDelayMs: 2_000, maxRetries: 6 })
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((retry) => alarmRetryDelayMs(retry)), [2_000, 4_000, 8_000, 16_000, 32_000, 64_000])
})

test('an alarm fires once at its time, never before', async (t) => {
  const { scheduler, fired } = harness(t)
  const time = Date.now() + 40
  scheduler.set(room('a'), time)
  assert.equal(scheduler.size, 1)
  await until(() => fired.length === 1)
  assert.ok(fired[0]!.at >= time, `fired ${time - fired[0]!.at} ms early`)
  assert.equal(fired[0]!.retryCount, 0)
  await sleep(60)
  assert.equal(fired.length, 1)
  assert.equal(scheduler.size, 0)
})

test('alarms of many objects fire earliest first', async (t) => {
  const { scheduler, fired } = harness(t)
  const now = Date.now()
  scheduler.set(room('c'), now + 60)
  scheduler.set(room('a'), now + 20)
  scheduler.set(room('b'), now + 40)
  await until(() => fired.length === 3)
  assert.deepEqual(fired.map((call) => call.objectId), ['a', 'b', 'c'])
})

test('setting an alarm again replaces its time, and null cancels it', async (t) => {
  const { scheduler, fired } = harness(t)
  const now = Date.now()
  scheduler.set(room('moved'), now + 20)
  scheduler.set(room('moved'), now + 80)
  scheduler.set(room('cancelled'), now + 30)
  scheduler.set(room('cancelled'), null)
  await until(() => fired.length === 1)
  assert.equal(fired[0]!.objectId, 'moved')
  assert.ok(fired[0]!.at >= now + 80)
  await sleep(50)
  assert.equal(fired.length, 1)
})

test('load fires past alarms at once and future ones at their time', async (t) => {
  const { scheduler, fired } = harness(t)
  const loadedAt = Date.now()
  scheduler.load([{ object: room('past'), time: loadedAt - 60_000 }, { object: room('future'), time: loadedAt + 60 }])
  await until(() => fired.length === 2)
  assert.deepEqual(fired.map((call) => call.objectId), ['past', 'future'])
  assert.ok(fired[0]!.at - loadedAt < 50, 'the past alarm fired at once')
  assert.ok(fired[1]!.at >= loadedAt + 60)
})

test('a failing alarm is retried with exponential backoff, then given up and logged', async (t) => {
  const { logger, lines } = captureLogger()
  const givenUp: ObjectAddress[] = []
  const { scheduler, fired } = harness(t, (call) => {
    if (call.retryCount % 2 === 1) throw new Error(`boom ${call.retryCount}`)
    return false
  }, { logger, retryFirstDelayMs: 10, maxRetries: 3, onGiveUp: (object) => givenUp.push(object) })
  scheduler.set(room('flaky'), Date.now())
  await until(() => givenUp.length === 1)
  assert.deepEqual(fired.map((call) => call.retryCount), [0, 1, 2, 3])
  const gaps = fired.slice(1).map((call, i) => call.at - fired[i]!.at)
  gaps.forEach((gap, i) => assert.ok(gap >= 10 * 2 ** i, `retry ${i + 1} came after ${gap} ms, expected ≥ ${10 * 2 ** i}`))
  assert.deepEqual(givenUp, [room('flaky')])
  assert.deepEqual(lines.map((line) => line.level), [40, 40, 40, 50])
  assert.equal(lines[1]!.err?.message, 'boom 1')
  assert.match(lines[3]!.msg, /giving up/)
  await sleep(100)
  assert.equal(fired.length, 4, 'nothing runs after giving up')
  assert.equal(scheduler.size, 0)
})

test('a retried alarm that succeeds stops retrying', async (t) => {
  const { scheduler, fired } = harness(t, (call) => call.retryCount >= 1, { retryFirstDelayMs: 5 })
  scheduler.set(room('recovers'), Date.now())
  await until(() => fired.length === 2)
  await sleep(60)
  assert.deepEqual(fired.map((call) => call.retryCount), [0, 1])
})

test('a set made while the alarm runs waits for the run to end and replaces the retry', async (t) => {
  let scheduler: AlarmScheduler | undefined
  const running: string[] = []
  let overlap = false
  const { scheduler: created, fired } = harness(t, async (call) => {
    if (running.includes(call.objectId)) overlap = true
    running.push(call.objectId)
    if (fired.length === 1) scheduler!.set(room('self'), Date.now()) // due at once, must still wait
    await sleep(40)
    running.splice(running.indexOf(call.objectId), 1)
    return false
  }, { retryFirstDelayMs: 5 })
  scheduler = created
  scheduler.set(room('self'), Date.now())
  await until(() => fired.length === 2)
  assert.equal(overlap, false, 'two runs of one object overlapped')
  assert.ok(fired[1]!.at - fired[0]!.at >= 40)
  assert.equal(fired[1]!.retryCount, 0, 'the new alarm replaced the retry')

  // deleteAlarm() during a failing run: no retry at all.
  const { scheduler: other, fired: otherFired } = harness(t, async () => {
    other.set(room('cancels'), null)
    return false
  }, { retryFirstDelayMs: 5 })
  other.set(room('cancels'), Date.now())
  await until(() => otherFired.length === 1)
  await sleep(60)
  assert.equal(otherFired.length, 1)
})

test('stop cancels waiting alarms and ignores the outcome of a run in progress', async (t) => {
  let release: (ok: boolean) => void = () => {}
  const { scheduler, fired } = harness(t, (call) => call.objectId === 'running'
    ? new Promise<boolean>((resolve) => { release = resolve })
    : true, { retryFirstDelayMs: 5 })
  scheduler.set(room('running'), Date.now())
  scheduler.set(room('waiting'), Date.now() + 30)
  await until(() => fired.length === 1)
  scheduler.stop()
  release(false)
  scheduler.set(room('after-stop'), Date.now())
  await sleep(80)
  assert.deepEqual(fired.map((call) => call.objectId), ['running'])
})

test('an alarm further away than a timer can wait neither fires early nor spins', async (t) => {
  const { scheduler, fired } = harness(t)
  // Node turns a delay above 2^31-1 ms into 1 ms: without capping it the scheduler would wake
  // every millisecond.
  let timers = 0
  const hook = createHook({ init: (_id, type) => { if (type === 'Timeout') timers++ } })
  hook.enable()
  t.after(() => hook.disable())
  scheduler.set(room('far'), Date.now() + 30 * 24 * 3600 * 1000)
  await sleep(50)
  hook.disable()
  assert.equal(fired.length, 0)
  assert.equal(scheduler.size, 1)
  assert.ok(timers <= 3, `${timers} timers created in 50 ms`)
})

test('one timer serves every alarm', (t) => {
  const { scheduler } = harness(t)
  let timers = 0
  const hook = createHook({ init: (_id, type) => { if (type === 'Timeout') timers++ } })
  const now = Date.now()
  hook.enable()
  for (let i = 0; i < 100; i++) scheduler.set(room(`o${i}`), now + 60_000 + i)
  hook.disable()
  assert.equal(timers, 1)
  assert.equal(scheduler.size, 100)
})

test('a pending alarm does not keep the process alive', async () => {
  const moduleUrl = new URL('../../src/storage/alarm-scheduler.js', import.meta.url).href
  const script = `
    import { AlarmScheduler } from ${JSON.stringify(moduleUrl)}
    new AlarmScheduler(async () => true).set({ className: 'Room', objectId: 'x' }, Date.now() + 60_000)
  `
  const started = Date.now()
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (error) => error ? reject(error) : resolve())
  })
  assert.ok(Date.now() - started < 10_000)
})
