import assert from 'node:assert/strict'
import { test } from 'node:test'
import { waitFor } from '../helpers/edge-harness.js'
import { exampleSite, startExampleEdge, tempDir, type ExampleEdge } from './example-harness.js'

interface CounterState { name: string; count: number; snapshot: { count: number; at: number } | null; nextSnapshotAt: number | null }

async function call(edge: ExampleEdge, method: 'GET' | 'POST', path: string): Promise<{ status: number; body: CounterState }> {
  const response = await fetch(`${edge.httpUrl}${path}`, { method })
  const text = await response.text()
  return { status: response.status, body: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) as CounterState : { text } as never }
}

test('the counter example counts per name and answers bad requests with 4xx', async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('counter')] })
  assert.deepEqual((await call(edge, 'GET', '/counters/visits')).body, { name: 'visits', count: 0, snapshot: null, nextSnapshotAt: null })
  assert.equal((await call(edge, 'POST', '/counters/visits/increment')).body.count, 1)
  const five = await call(edge, 'POST', '/counters/visits/increment?by=4')
  assert.equal(five.body.count, 5)
  assert.ok(five.body.nextSnapshotAt !== null && five.body.nextSnapshotAt > Date.now(), 'a snapshot alarm is pending after a change')
  assert.equal((await call(edge, 'GET', '/counters/other')).body.count, 0, 'each name is its own object')
  assert.equal((await call(edge, 'GET', '/counters/visits/increment')).status, 405)
  assert.equal((await call(edge, 'POST', '/counters/visits/increment?by=0')).status, 400)
  assert.equal((await call(edge, 'GET', '/nothing-here')).status, 404)
})

test('counter increments persist across an edge restart, and the pending snapshot alarm fires after it', async (t) => {
  const dataDir = tempDir(t)
  const site = exampleSite('counter', { app: { vars: { SNAPSHOT_DELAY_MS: '1200' } } })
  const first = await startExampleEdge(t, { dataDir, sites: [site] })
  for (let index = 0; index < 3; index++) await call(first, 'POST', '/counters/visits/increment')
  const before = await call(first, 'GET', '/counters/visits')
  assert.equal(before.body.count, 3)
  assert.equal(before.body.snapshot, null, 'the alarm has not fired yet')
  const alarmAt = before.body.nextSnapshotAt!
  await first.stop()

  const second = await startExampleEdge(t, { dataDir, sites: [site] })
  const after = await call(second, 'GET', '/counters/visits')
  assert.equal(after.body.count, 3, 'the count survived the restart')
  assert.equal(after.body.nextSnapshotAt, alarmAt, 'the alarm survived the restart')
  const fired = await waitFor(async () => (await call(second, 'GET', '/counters/visits')).body.snapshot, 5000, 'the snapshot alarm')
  assert.equal(fired.count, 3)
  assert.ok(fired.at >= alarmAt, 'the alarm fired at or after its time')
  assert.equal((await call(second, 'GET', '/counters/visits')).body.nextSnapshotAt, null, 'no alarm left after it fired')
  const appLines = second.logs.filter((line) => line.event === 'app_log' && line.site === 'counter').map((line) => String(line.msg))
  assert.ok(appLines.some((line) => line.includes('snapshot: 3')), 'the alarm handler logged through console.log')

  // The next change schedules the next snapshot.
  assert.equal((await call(second, 'POST', '/counters/visits/increment')).body.count, 4)
  assert.notEqual((await call(second, 'GET', '/counters/visits')).body.nextSnapshotAt, null)
})
