import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildApp } from '../../src/apps/bundle.js'
import { resolveConfig } from '../../src/config/resolve.js'
import { Client, startAppEdge, tempApp } from './app-harness.js'

/** Version N of an app with a hibernatable room and an accept()-mode echo, both naming their version. */
function appVersion(version: string): string {
  return `
import { DurableObject } from 'cloudflare:workers'
const VERSION = '${version}'

export class Room extends DurableObject {
  async fetch(request) {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    pair[1].serializeAttachment({ joined: VERSION })
    return new Response(null, { status: 101, webSocket: pair[0] })
  }
  async webSocketMessage(ws, message) {
    const count = ((await this.ctx.storage.get('count')) ?? 0) + 1
    await this.ctx.storage.put('count', count)
    ws.send(VERSION + ' room: ' + message + ' (count ' + count + ', joined ' + ws.deserializeAttachment().joined + ')')
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (request.headers.get('upgrade') !== 'websocket') return new Response(VERSION)
    if (url.pathname === '/room') return env.ROOMS.get(env.ROOMS.idFromName('main')).fetch(request)
    const [client, server] = Object.values(new WebSocketPair())
    server.accept()
    server.addEventListener('message', (event) => server.send(VERSION + ' echo: ' + event.data))
    return new Response(null, { status: 101, webSocket: client })
  }
}
`
}

const BINDINGS = [{ name: 'ROOMS', class_name: 'Room' }]

test('a deploy switches hibernatable sockets to the new code; accept()-mode sockets keep the old version', async (t) => {
  const app = tempApp(t, { 'v1.js': appVersion('v1'), 'v2.js': appVersion('v2') })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'chat', app: { main: app.file('v1.js'), durable_objects: BINDINGS } }])
  const room = await Client.open(t, `${edge.wsUrl}/room`)
  const echo = await Client.open(t, `${edge.wsUrl}/echo`)
  assert.equal(await room.ask('a'), 'v1 room: a (count 1, joined v1)')
  assert.equal(await echo.ask('a'), 'v1 echo: a')

  const build = await buildApp({ main: app.file('v2.js'), durable_objects: BINDINGS }, app.dir)
  const { version } = await edge.edge.apps.controller.deploy('chat', build)
  assert.equal(version, 2)
  assert.equal(await (await fetch(`${edge.httpUrl}/`)).text(), 'v2', 'new requests reach the new version')
  assert.equal(await room.ask('b'), 'v2 room: b (count 2, joined v1)', 'same socket, new code, storage and attachment intact')
  assert.equal(await echo.ask('b'), 'v1 echo: b', 'the accept()-mode socket stays on the old isolate')
  const fresh = await Client.open(t, `${edge.wsUrl}/echo`)
  assert.equal(await fresh.ask('c'), 'v2 echo: c')
  assert.equal(edge.edge.connections.size, 3, 'no socket was dropped')
  await echo.close()
  assert.equal(await room.ask('d'), 'v2 room: d (count 3, joined v1)')
  assert.deepEqual((await edge.edge.apps.controller.list()).map((summary) => [summary.site, summary.version]), [['chat', 2]])
})

test('a version that fails to load is refused and the old version keeps running', async (t) => {
  const app = tempApp(t, {
    'v1.js': appVersion('v1'),
    'broken.js': `${appVersion('broken')}\nthrow new Error('broken at load time')\n`,
  })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'chat', app: { main: app.file('v1.js'), durable_objects: BINDINGS } }])
  const room = await Client.open(t, `${edge.wsUrl}/room`)
  assert.equal(await room.ask('a'), 'v1 room: a (count 1, joined v1)')
  const build = await buildApp({ main: app.file('broken.js'), durable_objects: BINDINGS }, app.dir)
  await assert.rejects(edge.edge.apps.controller.deploy('chat', build), /broken at load time/)
  assert.equal(await room.ask('b'), 'v1 room: b (count 2, joined v1)')
  assert.equal(await (await fetch(`${edge.httpUrl}/`)).text(), 'v1')
  assert.equal(edge.edge.apps.host('chat')?.stats().version, 1)
  assert.deepEqual((await edge.edge.apps.versions.list('chat')).map((info) => info.version), [1], 'the refused version was discarded')
})

test('a config reload that changes the app deploys it without dropping sockets', async (t) => {
  const app = tempApp(t, { 'v1.js': appVersion('v1'), 'v2.js': appVersion('v2') })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'chat', app: { main: app.file('v1.js'), durable_objects: BINDINGS } }])
  const room = await Client.open(t, `${edge.wsUrl}/room`)
  assert.equal(await room.ask('a'), 'v1 room: a (count 1, joined v1)')
  await edge.edge.reload(resolveConfig({ listen: '127.0.0.1:0', data_dir: app.dataDir, sites: [{ name: 'chat', app: { main: app.file('v2.js'), durable_objects: BINDINGS } }] }))
  assert.equal(edge.edge.apps.host('chat')?.stats().version, 2)
  assert.equal(await room.ask('b'), 'v2 room: b (count 2, joined v1)')
})
