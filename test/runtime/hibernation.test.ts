import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Client, appLogs, sleep, startAppEdge, tempApp } from './app-harness.js'
import { waitFor } from '../helpers/edge-harness.js'

/** A chat room on the Hibernation API: attachments, tags, auto-response, a per-instance id. */
const ROOM_APP = `
import { DurableObject } from 'cloudflare:workers'

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    this.instance = crypto.randomUUID()
    this.seen = 0
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
    console.log('room constructed')
  }

  async fetch(request) {
    const url = new URL(request.url)
    const pair = new WebSocketPair()
    const tag = url.searchParams.get('tag')
    this.ctx.acceptWebSocket(pair[1], tag ? [tag] : [])
    pair[1].serializeAttachment({ name: url.searchParams.get('name') ?? 'anon' })
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  async webSocketMessage(ws, message) {
    const { name } = ws.deserializeAttachment()
    this.seen++
    if (message === 'stats') {
      ws.send(JSON.stringify({ instance: this.instance, seen: this.seen, name, sockets: this.ctx.getWebSockets().length, tags: this.ctx.getTags(ws) }))
      return
    }
    if (message.startsWith('to:')) {
      const [, tag, text] = message.split(':')
      for (const peer of this.ctx.getWebSockets(tag)) peer.send(name + ' to ' + tag + ': ' + text)
      return
    }
    for (const peer of this.ctx.getWebSockets()) peer.send(name + ': ' + message)
  }

  async webSocketClose(ws, code, reason) {
    for (const peer of this.ctx.getWebSockets()) if (peer !== ws) peer.send(ws.deserializeAttachment().name + ' left')
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (request.headers.get('upgrade') !== 'websocket') return new Response('room app')
    return env.ROOMS.get(env.ROOMS.idFromName(url.pathname)).fetch(request)
  }
}
`

function roomSite(main: string): Record<string, unknown> {
  return { name: 'chat', app: { main, durable_objects: [{ name: 'ROOMS', class_name: 'Room' }], hibernate_after: '200ms' } }
}

test('two clients chat through a Durable Object room on the Hibernation API', async (t) => {
  const app = tempApp(t, { 'room.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [roomSite(app.file('room.js'))])
  const alice = await Client.open(t, `${edge.wsUrl}/lobby?name=alice`)
  const bob = await Client.open(t, `${edge.wsUrl}/lobby?name=bob`)
  alice.send('hello bob')
  assert.equal(await alice.next(), 'alice: hello bob')
  assert.equal(await bob.next(), 'alice: hello bob')
  bob.send('hi alice')
  assert.equal(await alice.next(), 'bob: hi alice')
  assert.equal(await bob.next(), 'bob: hi alice')
  // Another room does not hear this one.
  const carol = await Client.open(t, `${edge.wsUrl}/other?name=carol`)
  alice.send('still here')
  assert.equal(await alice.next(), 'alice: still here')
  assert.equal(await bob.next(), 'alice: still here')
  assert.ok(await carol.silentFor(200))
  await bob.close()
  assert.equal(await alice.next(), 'bob left')
  const opens = edge.logs.filter((line) => line.event === 'ws_open' && line.site === 'chat')
  assert.equal(opens.length, 3)
  assert.equal(opens[0]!.object_class, 'Room')
  assert.equal(opens[0]!.mode, 'hibernate')
  await waitFor(() => edge.logs.find((line) => line.event === 'ws_close' && line.site === 'chat'), 2000, 'ws_close line')
})

test('an idle room is evicted and re-created on the next message, with attachments and sockets intact', async (t) => {
  const app = tempApp(t, { 'room.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [roomSite(app.file('room.js'))])
  const alice = await Client.open(t, `${edge.wsUrl}/lobby?name=alice`)
  const bob = await Client.open(t, `${edge.wsUrl}/lobby?name=bob`)
  const first = JSON.parse(await alice.ask('stats')) as { instance: string; seen: number; name: string; sockets: number }
  assert.equal(first.name, 'alice')
  assert.equal(first.sockets, 2)
  const again = JSON.parse(await alice.ask('stats')) as typeof first
  assert.equal(again.instance, first.instance, 'a busy object stays live')
  await waitFor(() => edge.edge.apps.host('chat')?.stats().liveObjects === 0, 5000, 'eviction after hibernate_after')
  const constructedBefore = appLogs(edge, 'chat').filter((line) => line.includes('room constructed')).length
  const after = JSON.parse(await bob.ask('stats')) as typeof first
  assert.notEqual(after.instance, first.instance, 'the constructor ran again')
  assert.equal(after.seen, 1)
  assert.equal(after.name, 'bob', 'attachment survived eviction')
  assert.equal(after.sockets, 2, 'getWebSockets() sees both sockets after re-creation')
  await waitFor(() => appLogs(edge, 'chat').filter((line) => line.includes('room constructed')).length === constructedBefore + 1, 2000, 'constructor log line')
  // Both sockets stayed open through the eviction.
  assert.equal(await alice.ask('back'), 'alice: back')
  assert.equal(await bob.next(), 'alice: back')
})

test('getWebSockets(tag) reaches only the sockets with that tag', async (t) => {
  const app = tempApp(t, { 'room.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [roomSite(app.file('room.js'))])
  const red1 = await Client.open(t, `${edge.wsUrl}/lobby?name=r1&tag=red`)
  const red2 = await Client.open(t, `${edge.wsUrl}/lobby?name=r2&tag=red`)
  const blue = await Client.open(t, `${edge.wsUrl}/lobby?name=b1&tag=blue`)
  red1.send('to:red:hi reds')
  assert.equal(await red1.next(), 'r1 to red: hi reds')
  assert.equal(await red2.next(), 'r1 to red: hi reds')
  assert.ok(await blue.silentFor(300))
  blue.send('to:blue:just me')
  assert.equal(await blue.next(), 'b1 to blue: just me')
  assert.ok(await red1.silentFor(200))
  const stats = JSON.parse(await red2.ask('stats')) as { tags: string[] }
  assert.deepEqual(stats.tags, ['red'])
})

test('the auto-response pair is answered by the edge without waking the object', async (t) => {
  const app = tempApp(t, { 'room.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [roomSite(app.file('room.js'))])
  const alice = await Client.open(t, `${edge.wsUrl}/lobby?name=alice`)
  const first = JSON.parse(await alice.ask('stats')) as { instance: string }
  await waitFor(() => edge.edge.apps.host('chat')?.stats().liveObjects === 0, 5000, 'eviction')
  const constructed = appLogs(edge, 'chat').filter((line) => line.includes('room constructed')).length
  const counted = edge.edge.apps.counters.autoResponses
  for (let i = 0; i < 5; i++) assert.equal(await alice.ask('ping'), 'pong')
  assert.equal(edge.edge.apps.counters.autoResponses, counted + 5)
  assert.equal(edge.edge.apps.host('chat')?.stats().liveObjects, 0, 'the object stayed asleep')
  await sleep(100)
  assert.equal(appLogs(edge, 'chat').filter((line) => line.includes('room constructed')).length, constructed, 'no constructor ran')
  const after = JSON.parse(await alice.ask('stats')) as { instance: string }
  assert.notEqual(after.instance, first.instance)
})

test('a graceful stop closes app sockets with 1001', async (t) => {
  const app = tempApp(t, { 'room.js': ROOM_APP })
  const edge = await startAppEdge(t, app.dataDir, [roomSite(app.file('room.js'))])
  const alice = await Client.open(t, `${edge.wsUrl}/lobby?name=alice`)
  assert.equal(await alice.ask('hi'), 'alice: hi')
  assert.equal(edge.edge.connections.size, 1, 'the socket is in the connection registry')
  await edge.stop(0)
  const closed = await alice.closed
  assert.equal(closed.code, 1001)
  assert.equal(edge.edge.connections.size, 0)
})
