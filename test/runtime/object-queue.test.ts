import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ObjectQueue, type QueuedEvent } from '../../src/runtime/object-queue.js'

function recorder(): { started: number[]; finishers: (() => void)[]; event(id: number): QueuedEvent } {
  const started: number[] = []
  const finishers: (() => void)[] = []
  return {
    started,
    finishers,
    event: (id) => ({ start: (finish) => { started.push(id); finishers.push(finish) }, fail: () => {} }),
  }
}

test('events start in arrival order, at most `window` at a time', () => {
  const queue = new ObjectQueue({ window: 2, limit: 10 })
  const r = recorder()
  for (let id = 1; id <= 5; id++) assert.equal(queue.push(r.event(id)), true)
  assert.deepEqual(r.started, [1, 2])
  r.finishers[0]!()
  assert.deepEqual(r.started, [1, 2, 3])
  r.finishers[0]!() // finishing twice is ignored
  assert.deepEqual(r.started, [1, 2, 3])
  r.finishers[1]!()
  r.finishers[2]!()
  assert.deepEqual(r.started, [1, 2, 3, 4, 5])
  assert.equal(queue.pending, 2)
})

test('a full queue refuses further events until one finishes', () => {
  const queue = new ObjectQueue({ window: 1, limit: 3 })
  const r = recorder()
  assert.equal(queue.push(r.event(1)), true)
  assert.equal(queue.push(r.event(2)), true)
  assert.equal(queue.push(r.event(3)), true)
  assert.equal(queue.push(r.event(4)), false)
  r.finishers[0]!()
  assert.equal(queue.push(r.event(5)), true)
  assert.equal(queue.pending, 3)
})

test('a paused queue holds events; drain hands back those not started', () => {
  const queue = new ObjectQueue({ paused: true })
  const r = recorder()
  queue.push(r.event(1))
  queue.push(r.event(2))
  assert.deepEqual(r.started, [])
  queue.resume()
  assert.deepEqual(r.started, [1, 2])
  queue.pause()
  queue.push(r.event(3))
  assert.equal(queue.drain().length, 1)
  assert.equal(queue.pending, 2)
})

test('an event that finishes synchronously lets the next start without recursion', () => {
  const queue = new ObjectQueue({ window: 1, limit: 100_000 })
  let count = 0
  queue.pause()
  for (let i = 0; i < 50_000; i++) queue.push({ start: (finish) => { count++; finish() }, fail: () => {} })
  queue.resume()
  assert.equal(count, 50_000)
  assert.equal(queue.idle, true)
})
