import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmdirSync, existsSync } from 'node:fs'
import path from 'node:path'
import { startEdge, waitFor } from '../helpers/edge-harness.js'
import { tempApp } from './app-harness.js'

const APP = 'export default { fetch() { return new Response(\'ok\') } }\n'
const CGROUP2 = '/sys/fs/cgroup/unified'
const isRoot = process.getuid?.() === 0

function procStatus(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith(`${field}:`))
  return line?.split(/\s+/)[1] ?? ''
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('runners run as runtime.user / runtime.group', { skip: !isRoot && 'needs root to switch users' }, async (t) => {
  const app = tempApp(t, { 'app.js': APP })
  const edge = await startEdge({ data_dir: app.dataDir, runtime: { runners: 1, spare: false, user: 'nobody', group: 'nogroup' }, sites: [{ name: 'a', app: { main: app.file('app.js') } }] })
  t.after(() => edge.stop())
  assert.equal(await (await fetch(edge.httpUrl)).text(), 'ok')
  const [runner] = edge.edge.apps.runners()
  assert.ok(runner?.pid)
  assert.equal(procStatus(runner.pid, 'Uid'), '65534')
  assert.equal(procStatus(runner.pid, 'Gid'), '65534')
})

test('runners are moved into runtime.cgroup', { skip: !(isRoot && existsSync(path.join(CGROUP2, 'cgroup.procs'))) && 'needs root and a cgroup v2 mount' }, async (t) => {
  const name = `wedge-test-${process.pid}`
  const cgroup = path.join(CGROUP2, name)
  mkdirSync(cgroup)
  const app = tempApp(t, { 'app.js': APP })
  const edge = await startEdge({ data_dir: app.dataDir, runtime: { runners: 1, spare: true, cgroup }, sites: [{ name: 'a', app: { main: app.file('app.js') } }] })
  t.after(async () => {
    await edge.stop()
    // The kernel releases a cgroup a moment after its last process was reaped (EBUSY until then).
    await waitFor(() => {
      try {
        rmdirSync(cgroup)
        return true
      } catch {
        return false
      }
    }, 5000, 'the cgroup to be removable')
  })
  assert.equal(await (await fetch(edge.httpUrl)).text(), 'ok')
  const runners = edge.edge.apps.runners()
  assert.equal(runners.length, 2, 'one runner and a spare')
  for (const runner of runners) assert.match(readFileSync(`/proc/${runner.pid}/cgroup`, 'utf8'), new RegExp(`^0::/${name}$`, 'm'))
})

test('edge stop stops every runner process', async (t) => {
  const app = tempApp(t, { 'app.js': APP })
  const edge = await startEdge({ data_dir: app.dataDir, runtime: { runners: 2, spare: true }, sites: [{ name: 'a', app: { main: app.file('app.js') } }] })
  assert.equal(await (await fetch(edge.httpUrl)).text(), 'ok')
  const pids = edge.edge.apps.runners().map((runner) => runner.pid!)
  assert.equal(pids.length, 3)
  assert.ok(pids.every(alive))
  await edge.stop()
  assert.deepEqual(pids.filter(alive), [])
})
