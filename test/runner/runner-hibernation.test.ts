import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { deserialize } from 'node:v8'
import { RunnerDriver, manifest, request } from './runner-driver.js'
import type { ObjectAddress, RunnerToGateway } from '../../src/runtime/runner-protocol.js'

const CODE = `
import { DurableObject } from 'cloudflare:workers'
let constructed = 0
export class Chat extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    constructed++
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
  }
  fetch(request) {
    const url = new URL(request.url)
    const user = url.searchParams.get('user')
    const [client, server] = Object.values(new WebSocketPair())
    this.ctx.acceptWebSocket(server, ['room', 'user:' + user])
    server.serializeAttachment({ user, joined: new Date(0), seen: new Map([['n', 1]]) })
    return new Response(null, { status: 101, webSocket: client })
  }
  webSocketMessage(ws, message) {
    const me = ws.deserializeAttachment()
    if (message === 'who') {
      ws.send(JSON.stringify({
        me: me.user, joinedIsDate: me.joined instanceof Date, seen: me.seen.get('n'), constructed,
        all: this.ctx.getWebSockets().length, room: this.ctx.getWebSockets('room').length,
        bob: this.ctx.getWebSockets('user:bob').map((s) => s.deserializeAttachment().user),
        tags: this.ctx.getTags(ws), auto: this.ctx.getWebSocketAutoResponse()?.response ?? null,
      }))
    } else if (message === 'rename') {
      ws.serializeAttachment({ ...me, user: me.user + '2' })
    } else if (message === 'timer') {
      setTimeout(() => ws.send('timer fired'), 300)
    } else if (message === 'spin') {
      for (;;) {}
    }
  }
  webSocketClose(ws, code, reason, wasClean) {
    for (const peer of this.ctx.getWebSockets()) peer.send('left ' + code + ' ' + reason + ' ' + wasClean + ' ' + ws.readyState)
  }
}
export default {
  fetch(request, env) { return env.CHAT.getByName('lobby').fetch(request) },
}
`

const app = { appId: 'chat', version: 1 }

function lastSend(runner: RunnerDriver, socketId: string): string {
  const entry = [...runner.received].reverse().find((e) => e.type === 'ws-send' && e.socketIds.includes(socketId)) as Extract<RunnerToGateway, { type: 'ws-send' }> | undefined
  return typeof entry?.data === 'string' ? entry.data : ''
}

describe('runner: Durable Object hibernation API', () => {
  let runner: RunnerDriver
  let object: ObjectAddress

  before(async () => {
    runner = new RunnerDriver()
    const loaded = await runner.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'CHAT', className: 'Chat' }], hibernateAfterMs: 150, limits: { cpuMs: 100, memoryMb: 64 } }))
    assert.equal(loaded.type, 'loaded')
  })
  after(() => runner.close())

  test('acceptWebSocket answers the upgrade in hibernate mode with the object and tags', async () => {
    const alice = await runner.fetch(app, request('https://chat.test/?user=alice', { upgradeSocketId: 'alice' }))
    assert.equal(alice.error, undefined)
    assert.deepEqual(alice.response?.webSocket, { socketId: 'alice', mode: 'hibernate', object: alice.response!.webSocket!.object, tags: ['room', 'user:alice'] })
    object = alice.response!.webSocket!.object!
    assert.equal(object.className, 'Chat')
    assert.equal(object.name, 'lobby')
    const bob = await runner.fetch(app, request('https://chat.test/?user=bob', { upgradeSocketId: 'bob' }))
    assert.equal(bob.response?.webSocket?.mode, 'hibernate')
    // The attachment made before the socket was bound follows the object's event-done that binds it.
    const binding = runner.received.findIndex((e) => e.type === 'event-done' && e.response?.webSocket?.socketId === 'bob')
    const attachment = runner.received.find((e) => e.type === 'ws-attachment' && e.socketId === 'bob')
    assert.ok(attachment !== undefined && runner.received.indexOf(attachment) > binding)
    const value = deserialize((attachment as Extract<RunnerToGateway, { type: 'ws-attachment' }>).value!)
    assert.equal(value.user, 'bob')
    assert.ok(value.seen instanceof Map)
  })

  test('the constructor sets the auto-response pair, reported to the gateway', async () => {
    const entry = await runner.waitFor((e) => e.type === 'auto-response')
    assert.deepEqual(entry.type === 'auto-response' && entry.pair, { request: 'ping', response: 'pong' })
    assert.equal(entry.type === 'auto-response' && entry.appId, 'chat')
  })

  test('webSocketMessage sees tags, attachments and getWebSockets(tag)', async () => {
    const done = await runner.message(app, 'alice', 'who', object)
    assert.equal(done.error, undefined)
    assert.deepEqual(JSON.parse(lastSend(runner, 'alice')), {
      me: 'alice', joinedIsDate: true, seen: 1, constructed: 1, all: 2, room: 2, bob: ['bob'], tags: ['room', 'user:alice'], auto: 'pong',
    })
  })

  test('an idle instance is evicted; the next message re-creates it with sockets and attachments intact', async () => {
    await runner.message(app, 'bob', 'rename', object)
    const evicted = await runner.waitFor((e) => e.type === 'instance-evicted', 3000)
    assert.deepEqual(evicted.type === 'instance-evicted' && evicted.object, object)
    await runner.message(app, 'bob', 'who', object)
    const state = JSON.parse(lastSend(runner, 'bob'))
    assert.equal(state.constructed, 2, 'the constructor ran again')
    assert.equal(state.me, 'bob2')
    assert.equal(state.all, 2)
    assert.deepEqual(state.bob, ['bob2'])
  })

  test('a pending timer keeps the instance in memory until it fired', async () => {
    const before = runner.received.filter((e) => e.type === 'instance-evicted').length
    await runner.message(app, 'alice', 'timer', object)
    await runner.waitFor((e) => e.type === 'ws-send' && e.data === 'timer fired', 3000)
    const evictions = runner.received.filter((e) => e.type === 'instance-evicted')
    assert.equal(evictions.length, before, 'not evicted while the timer was pending')
    await runner.waitFor((e) => e.type === 'instance-evicted' && runner.received.filter((x) => x.type === 'instance-evicted').length > before, 3000)
  })

  test('webSocketClose runs with code, reason and wasClean; the socket leaves getWebSockets', async () => {
    const done = await runner.event({ type: 'ws-close', ...app, object, socketId: 'bob', code: 1001, reason: 'away', wasClean: true })
    assert.equal(done.error, undefined)
    assert.equal(lastSend(runner, 'alice'), 'left 1001 away true 3')
    runner.sockets.delete('bob')
    const who = await runner.message(app, 'alice', 'who', object)
    assert.equal(who.error, undefined)
    assert.equal(JSON.parse(lastSend(runner, 'alice')).all, 1)
  })

  test('after a CPU kill the instance is re-created from the runner socket copy even without `sockets`', async () => {
    const killed = await runner.message(app, 'alice', 'spin', object)
    assert.equal(killed.limit, 'cpu')
    await runner.waitFor((e) => e.type === 'isolate-restarted')
    // Bypass the driver so the event carries no sockets (as if sent before the gateway learned of the restart).
    const eventId = 1_000_000
    const reply = runner.waitFor((e) => e.type === 'event-done' && e.eventId === eventId)
    runner.send({ type: 'ws-message', eventId, ...app, object, socketId: 'alice', data: 'who' })
    assert.equal((await reply).type, 'event-done')
    const state = JSON.parse(lastSend(runner, 'alice'))
    assert.equal(state.me, 'alice')
    assert.equal(state.all, 1)
    assert.equal(state.constructed, 1, 'module state is fresh in the new isolate')
  })
})

describe('runner: evict-all (deploy)', () => {
  let runner: RunnerDriver
  before(async () => {
    runner = new RunnerDriver()
    const loaded = await runner.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'CHAT', className: 'Chat' }], hibernateAfterMs: 60_000 }))
    assert.equal(loaded.type, 'loaded')
  })
  after(() => runner.close())

  test('evict-all drops idle instances at once; their sockets come back with the next event', async () => {
    const joined = await runner.fetch(app, request('https://chat.test/?user=carol', { upgradeSocketId: 'carol' }))
    const object = joined.response!.webSocket!.object!
    runner.send({ type: 'evict-all', ...app })
    const evicted = await runner.waitFor((e) => e.type === 'instance-evicted', 3000)
    assert.deepEqual(evicted.type === 'instance-evicted' && evicted.object, object)
    await runner.message(app, 'carol', 'who', object)
    const state = JSON.parse(lastSend(runner, 'carol'))
    assert.equal(state.me, 'carol')
    assert.equal(state.constructed, 2)
  })
})
