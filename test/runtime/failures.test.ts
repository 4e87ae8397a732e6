import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '../helpers/edge-harness.js'
import { Client, startAppEdge, tempApp } from './app-harness.js'

const ROOM_APP = `
import { DurableObject } from 'cloudflare:workers'
export class Room extends DurableObject {
  async fetch(request) {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    pair[1].serializeAttachment({ n: 0 })
    return new Response(null, { status: 101, webSocket: pair[0] })
  }
  async webSocketMessage(ws, message) {
    const state = ws.deserializeAttachment()
    state.n++
    ws.serializeAttachment(state)
    ws.send('room ' + message + ' #' + state.n + ' of ' + this.ctx.getWebSockets().length)
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname.endsWith('/spin')) { for (;;) {} }
    if (request.headers.get('upgrade') !== 'websocket') return new Response('ok ' + url.pathname)
    if (url.pathname.endsWith('/room')) return env.ROOMS.get(env.ROOMS.idFromName('r')).fetch(request)
    const [client, server] = Object.values(new WebSocketPair())
    server.accept()
    server.addEventListener('message', (event) => server.send('echo ' + event.data))
    return new Response(null, { status: 101, webSocket: client })
  }
}
`

const BINDINGS = [{ name: 'ROOMS', class_name: 'Room' }]

test('a SIGKILLed runner is replaced; hibernatable sockets stay open and keep working', async (t) => {
  const app = tempApp(t, { 'app.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'chat', app: { main: app.file('app.js'), durable_objects: BINDINGS } }])
  const alice = await Client.open(t, `${edge.wsUrl}/room`)
  const bob = await Client.open(t, `${edge.wsUrl}/room`)
  const echo = await Client.open(t, `${edge.wsUrl}/echo`)
  assert.equal(await alice.ask('a'), 'room a #1 of 2')
  assert.equal(await echo.ask('a'), 'echo a')
  const [before] = edge.edge.apps.runners().filter((runner) => runner.apps.includes('chat'))
  assert.ok(before?.pid)
  process.kill(before.pid, 'SIGKILL')

  const closed = await echo.closed
  assert.equal(closed.code, 1012, 'the accept()-mode socket lost its listener: service restart')
  assert.equal(await alice.ask('b', 10_000), 'room b #2 of 2', 'attachment and socket list survive the runner')
  assert.equal(await bob.ask('c'), 'room c #1 of 2')
  const [after] = edge.edge.apps.runners().filter((runner) => runner.apps.includes('chat'))
  assert.ok(after?.pid && after.pid !== before.pid, 'another runner serves the app')
  assert.equal(edge.edge.apps.counters.runnerRestarts, 1)
  assert.ok(edge.logs.some((line) => line.msg === 'runner died: replacing it' && line.level === 40))
  await waitFor(() => edge.edge.apps.runners().some((runner) => runner.spare), 5000, 'a new spare runner')
})

test('a CPU-looping app is killed and restarted while another app site keeps serving', async (t) => {
  const app = tempApp(t, { 'app.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [
    { name: 'spin', path_prefix: '/spin', app: { main: app.file('app.js'), durable_objects: BINDINGS, limits: { cpu: '50ms' } } },
    { name: 'calm', path_prefix: '/calm', app: { main: app.file('app.js'), durable_objects: BINDINGS } },
  ], { runners: 1, spare: false })
  const room = await Client.open(t, `${edge.wsUrl}/spin/room`)
  assert.equal(await room.ask('a'), 'room a #1 of 1')
  const started = Date.now()
  const [spun, calm] = await Promise.all([fetch(`${edge.httpUrl}/spin/spin`), fetch(`${edge.httpUrl}/calm/hello`)])
  assert.equal(calm.status, 200)
  assert.equal(await calm.text(), 'ok /calm/hello')
  assert.ok(spun.status >= 500, `the looping request failed (${spun.status})`)
  await spun.text()
  assert.ok(Date.now() - started < 5000, 'the loop was stopped by the CPU limit, not a timeout')
  assert.ok(edge.edge.apps.counters.limitKills >= 1)
  assert.ok(edge.logs.some((line) => line.site === 'spin' && String(line.msg).includes('limit exceeded')))
  // The spinning app is serving again, its socket still open.
  assert.equal(await (await fetch(`${edge.httpUrl}/spin/ok`)).text(), 'ok /spin/ok')
  assert.equal(await room.ask('b'), 'room b #2 of 1')
})

test('a runner that stops answering pings is SIGKILLed after the heartbeat timeout and replaced', async (t) => {
  const app = tempApp(t, { 'app.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'chat', app: { main: app.file('app.js'), durable_objects: BINDINGS } }])
  const room = await Client.open(t, `${edge.wsUrl}/room`)
  assert.equal(await room.ask('a'), 'room a #1 of 1')
  const [before] = edge.edge.apps.runners().filter((runner) => runner.apps.includes('chat'))
  assert.ok(before?.pid)
  // A stopped process answers nothing, like a runner wedged in a native call.
  process.kill(before.pid, 'SIGSTOP')
  const stoppedAt = Date.now()
  t.after(() => { try { process.kill(before.pid!, 'SIGKILL') } catch { /* gone */ } })
  await waitFor(() => edge.logs.some((line) => line.msg === 'runner stopped answering pings: killing it'), 8000, 'the heartbeat kill')
  const waited = Date.now() - stoppedAt
  // 3 s after the last pong, which came up to one ping interval (1 s) before the stop.
  assert.ok(waited >= 1900 && waited < 6000, `killed after ${waited} ms (timeout 3 s, pings every 1 s)`)
  assert.equal(await room.ask('b', 10_000), 'room b #2 of 1', 'the socket survived and the app runs on the new runner')
  assert.ok(edge.edge.apps.runners().every((runner) => runner.pid !== before.pid))
})

const SLOW_APP = `
import { DurableObject } from 'cloudflare:workers'
export class Room extends DurableObject {
  async fetch(request) {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    return new Response(null, { status: 101, webSocket: pair[0] })
  }
  async webSocketMessage(ws, message) {
    if (message === 'slow') await new Promise((resolve) => setTimeout(resolve, 3000))
  }
}
export default { fetch: (request, env) => env.ROOMS.get(env.ROOMS.idFromName('r')).fetch(request) }
`

test('a client flooding a busy object is closed with 1013 once 1,000 events are pending', async (t) => {
  const app = tempApp(t, { 'app.js': SLOW_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'slow', app: { main: app.file('app.js'), durable_objects: BINDINGS } }], { runners: 1, spare: false })
  const client = await Client.open(t, `${edge.wsUrl}/`)
  client.send('slow')
  for (let i = 0; i < 1_100; i++) client.send(`m${i}`)
  const closed = await client.closed
  assert.equal(closed.code, 1013)
  assert.equal(closed.reason, 'object overloaded')
  assert.equal(edge.edge.apps.counters.overloadCloses, 1)
})
