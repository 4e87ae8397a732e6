import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startEdge, waitFor } from '../helpers/edge-harness.js'
import { Client, appLogs, startAppEdge, tempApp } from './app-harness.js'

/** A counter object with storage and an alarm, reached by name over HTTP. */
const COUNTER_APP = `
import { DurableObject } from 'cloudflare:workers'

export class Counter extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url)
    const storage = this.ctx.storage
    if (url.pathname.endsWith('/add')) {
      const value = ((await storage.get('count')) ?? 0) + 1
      await storage.put({ count: value, ['entry:' + String(value).padStart(3, '0')]: { at: value } })
      return new Response(String(value))
    }
    if (url.pathname.endsWith('/list')) {
      const entries = await storage.list({ prefix: 'entry:', reverse: true, limit: 2 })
      return Response.json([...entries.keys()])
    }
    if (url.pathname.endsWith('/alarm')) {
      await storage.setAlarm(Date.now() + Number(url.searchParams.get('in') ?? 200))
      return new Response('set ' + ((await storage.getAlarm()) !== null))
    }
    if (url.pathname.endsWith('/fired')) {
      return Response.json({ fired: (await storage.get('fired')) ?? 0, alarm: await storage.getAlarm() })
    }
    return new Response('not found', { status: 404 })
  }

  async alarm() {
    const fired = ((await this.ctx.storage.get('fired')) ?? 0) + 1
    await this.ctx.storage.put('fired', fired)
    console.log('alarm fired ' + fired)
  }
}

export default {
  fetch(request, env) {
    const name = new URL(request.url).pathname.split('/')[1]
    return env.COUNTERS.get(env.COUNTERS.idFromName(name)).fetch(request)
  }
}
`

function counterSite(main: string): Record<string, unknown> {
  return { name: 'counter', app: { main, durable_objects: [{ name: 'COUNTERS', class_name: 'Counter' }] } }
}

async function text(url: string): Promise<string> {
  const response = await fetch(url)
  assert.equal(response.status, 200, `${url} answered ${response.status}`)
  return response.text()
}

test('object storage persists across an edge restart with the same data_dir', async (t) => {
  const app = tempApp(t, { 'counter.js': COUNTER_APP })
  const first = await startEdge({ data_dir: app.dataDir, runtime: { runners: 1, spare: false }, sites: [counterSite(app.file('counter.js'))] })
  try {
    assert.equal(await text(`${first.httpUrl}/a/add`), '1')
    assert.equal(await text(`${first.httpUrl}/a/add`), '2')
    assert.equal(await text(`${first.httpUrl}/b/add`), '1', 'another name is another object')
    assert.equal(await text(`${first.httpUrl}/a/add`), '3')
  } finally {
    await first.stop()
  }
  const second = await startAppEdge(t, app.dataDir, [counterSite(app.file('counter.js'))], { runners: 1, spare: false })
  assert.equal(await text(`${second.httpUrl}/a/add`), '4')
  assert.equal(await text(`${second.httpUrl}/b/add`), '2')
  assert.deepEqual(JSON.parse(await text(`${second.httpUrl}/a/list`)), ['entry:004', 'entry:003'])
})

test('an alarm fires, runs the alarm() handler and is cleared', async (t) => {
  const app = tempApp(t, { 'counter.js': COUNTER_APP })
  const edge = await startAppEdge(t, app.dataDir, [counterSite(app.file('counter.js'))], { runners: 1, spare: false })
  assert.equal(await text(`${edge.httpUrl}/x/alarm?in=300`), 'set true')
  const before = JSON.parse(await text(`${edge.httpUrl}/x/fired`)) as { fired: number; alarm: number | null }
  assert.equal(before.fired, 0)
  assert.equal(typeof before.alarm, 'number')
  await waitFor(() => appLogs(edge, 'counter').some((line) => line.includes('alarm fired 1')), 5000, 'alarm() to run')
  const state = await waitFor(async () => {
    const value = JSON.parse(await text(`${edge.httpUrl}/x/fired`)) as { fired: number; alarm: number | null }
    return value.alarm === null ? value : undefined
  }, 2000, 'the alarm to be cleared')
  assert.equal(state.fired, 1)
  assert.equal(edge.edge.apps.counters.alarmsFired, 1)
})

test('an alarm set before a restart fires after it', async (t) => {
  const app = tempApp(t, { 'counter.js': COUNTER_APP })
  const first = await startEdge({ data_dir: app.dataDir, runtime: { runners: 1, spare: false }, sites: [counterSite(app.file('counter.js'))] })
  try {
    assert.equal(await text(`${first.httpUrl}/y/alarm?in=700`), 'set true')
  } finally {
    await first.stop()
  }
  const second = await startAppEdge(t, app.dataDir, [counterSite(app.file('counter.js'))], { runners: 1, spare: false })
  await waitFor(() => appLogs(second, 'counter').some((line) => line.includes('alarm fired 1')), 5000, 'alarm() after restart')
})

const CLOSE_WRITER_APP = `
import { DurableObject } from 'cloudflare:workers'
export class Room extends DurableObject {
  async fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') return new Response(String((await this.ctx.storage.get('closed')) ?? 0))
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    return new Response(null, { status: 101, webSocket: pair[0] })
  }
  async webSocketMessage(ws, message) { ws.send('ok') }
  async webSocketClose(ws, code) {
    await this.ctx.storage.put('closed', ((await this.ctx.storage.get('closed')) ?? 0) + 1)
  }
}
export default { fetch: (request, env) => env.ROOMS.get(env.ROOMS.idFromName('r')).fetch(request) }
`

test('storage writes of webSocketClose handlers run by a graceful stop are committed', async (t) => {
  const app = tempApp(t, { 'room.js': CLOSE_WRITER_APP })
  const site = { name: 'room', app: { main: app.file('room.js'), durable_objects: [{ name: 'ROOMS', class_name: 'Room' }] } }
  const first = await startEdge({ data_dir: app.dataDir, runtime: { runners: 1, spare: false }, sites: [site] })
  try {
    const client = await Client.open(t, first.wsUrl)
    assert.equal(await client.ask('hi'), 'ok')
  } finally {
    await first.stop(0)
  }
  const second = await startAppEdge(t, app.dataDir, [site], { runners: 1, spare: false })
  assert.equal(await text(second.httpUrl), '1')
})
