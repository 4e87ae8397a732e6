import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RunnerDriver, manifest, request } from './runner-driver.js'
import type { RunnerToGateway } from '../../src/runtime/runner-protocol.js'

const CODE = `
import { DurableObject } from 'cloudflare:workers'
export class Room extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url)
    const [client, server] = Object.values(new WebSocketPair())
    if (url.pathname.endsWith('/late-accept')) {
      await this.ctx.storage.get('anything')
      server.accept()
      return new Response(null, { status: 101, webSocket: client })
    }
    if (url.pathname.endsWith('/accept')) {
      server.accept()
      server.addEventListener('message', (event) => server.send('room:' + event.data))
      return new Response(null, { status: 101, webSocket: client })
    }
    this.ctx.acceptWebSocket(server)
    return new Response(null, { status: 101, webSocket: client })
  }
  webSocketMessage(ws, message) {
    if (message === 'broadcast') for (const peer of this.ctx.getWebSockets()) peer.send('to all')
    else ws.send(message)
  }
}
export default {
  fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/room')) return env.ROOM.get(env.ROOM.idFromName('r')).fetch(request)
    const pair = new WebSocketPair()
    const client = pair[0], server = pair[1]
    if (url.pathname === '/unaccepted') return new Response(null, { status: 101, webSocket: client })
    server.accept()
    server.send('hello')
    server.addEventListener('message', (event) => {
      if (event.data === 'close') server.close(4000, 'bye')
      else if (event.data instanceof ArrayBuffer) server.send(new Uint8Array(event.data).reverse())
      else server.send('echo:' + event.data)
    })
    server.addEventListener('close', (event) => console.log('closed', event.code, event.reason, event.wasClean))
    return new Response(null, { status: 101, webSocket: client, headers: { 'sec-websocket-protocol': 'chat' } })
  },
}
`

const app = { appId: 'ws', version: 1 }
const sends = (runner: RunnerDriver, socketId: string): (string | Uint8Array)[] =>
  runner.received.flatMap((e) => (e.type === 'ws-send' && e.socketIds.includes(socketId) ? [e.data] : []))

describe('runner: WebSocketPair and accept()', () => {
  let runner: RunnerDriver
  before(async () => {
    runner = new RunnerDriver()
    assert.equal((await runner.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'ROOM', className: 'Room' }], hibernateAfterMs: 100 }))).type, 'loaded')
  })
  after(() => runner.close())

  test('a 101 with the client end binds the accepted server end to the upgrade socket', async () => {
    const done = await runner.fetch(app, request('https://ws.test/chat', { upgradeSocketId: 'sock-1' }))
    assert.equal(done.error, undefined)
    assert.equal(done.response?.status, 101)
    assert.deepEqual(done.response?.webSocket, { socketId: 'sock-1', mode: 'accept' })
    assert.deepEqual(done.response?.headers, [['sec-websocket-protocol', 'chat']])
    // A send made before the response left is delivered after the event-done.
    const doneIndex = runner.received.indexOf(done)
    const hello = runner.received.findIndex((e) => e.type === 'ws-send' && e.data === 'hello')
    assert.ok(hello > doneIndex, 'hello must follow the event-done that binds the socket')
    assert.deepEqual((runner.received[hello] as Extract<RunnerToGateway, { type: 'ws-send' }>).socketIds, ['sock-1'])
  })

  test('ws-message events reach the message listeners (text and binary)', async () => {
    const text = await runner.message(app, 'sock-1', 'ping')
    assert.equal(text.error, undefined)
    assert.deepEqual(sends(runner, 'sock-1').slice(-1), ['echo:ping'])
    await runner.message(app, 'sock-1', new Uint8Array([1, 2, 3]))
    assert.deepEqual([...(sends(runner, 'sock-1').at(-1) as Uint8Array)], [3, 2, 1])
  })

  test('close() from the app becomes ws-close; the close event reaches listeners', async () => {
    await runner.message(app, 'sock-1', 'close')
    assert.ok(runner.received.some((e) => e.type === 'ws-close' && e.socketId === 'sock-1' && e.code === 4000 && e.reason === 'bye'))
    const closed = await runner.event({ type: 'ws-close', ...app, socketId: 'sock-1', code: 4000, reason: 'bye', wasClean: true })
    assert.equal(closed.error, undefined)
    await runner.waitFor((e) => e.type === 'log' && e.message === 'closed 4000 bye true')
    const late = await runner.message(app, 'sock-1', 'anyone?')
    assert.match(late.error ?? '', /Unknown WebSocket/)
  })

  test('a 101 whose server end was never accepted is an error', async () => {
    const done = await runner.fetch(app, request('https://ws.test/unaccepted', { upgradeSocketId: 'sock-2' }))
    assert.match(done.error ?? '', /never accepted/)
  })

  test('a 101 answering a request that is not an upgrade is an error', async () => {
    const done = await runner.fetch(app, request('https://ws.test/chat'))
    assert.match(done.error ?? '', /upgrade/)
  })

  test('an object answering through a worker stub keeps its upgrade socket id and pins itself while accepted', async () => {
    const done = await runner.fetch(app, request('https://ws.test/room/accept', { upgradeSocketId: 'sock-3' }))
    assert.equal(done.error, undefined)
    const socket = done.response?.webSocket
    assert.equal(socket?.socketId, 'sock-3')
    assert.equal(socket?.mode, 'accept')
    assert.equal(socket?.object?.className, 'Room')
    assert.equal(socket?.object?.name, 'r')
    // Idle far past hibernateAfterMs, yet an accept-mode socket keeps the instance in memory.
    await new Promise((resolve) => setTimeout(resolve, 400))
    assert.ok(!runner.received.some((e) => e.type === 'instance-evicted'))
    await runner.message(app, 'sock-3', 'hi', socket!.object)
    assert.deepEqual(sends(runner, 'sock-3'), ['room:hi'])
    await runner.event({ type: 'ws-close', ...app, object: socket!.object, socketId: 'sock-3', code: 1000, reason: '', wasClean: true })
    await runner.waitFor((e) => e.type === 'instance-evicted', 3000)
  })

  test('accept() after an await in an object still binds the socket to that object', async () => {
    const done = await runner.fetch(app, request('https://ws.test/room/late-accept', { upgradeSocketId: 'sock-5' }))
    assert.equal(done.response?.webSocket?.mode, 'accept')
    assert.equal(done.response?.webSocket?.object?.name, 'r')
    await runner.event({ type: 'ws-close', ...app, object: done.response!.webSocket!.object, socketId: 'sock-5', code: 1000, reason: '', wasClean: true })
  })

  test('a broadcast to many sockets crosses as one ws-send with every socket id', async () => {
    const ids = ['b1', 'b2', 'b3', 'b4']
    let object
    for (const id of ids) {
      const done = await runner.fetch(app, request('https://ws.test/room/hibernate', { upgradeSocketId: id }))
      assert.equal(done.response?.webSocket?.mode, 'hibernate')
      object = done.response!.webSocket!.object
    }
    const before = runner.received.length
    await runner.message(app, 'b1', 'broadcast', object)
    const fanOut = runner.received.slice(before).filter((e) => e.type === 'ws-send')
    assert.equal(fanOut.length, 1)
    assert.deepEqual(fanOut[0]!.type === 'ws-send' && [...fanOut[0]!.socketIds].sort(), ids)
  })

  test('evict-all keeps an instance pinned by an accept-mode socket until that socket closes', async () => {
    const done = await runner.fetch(app, request('https://ws.test/room/accept', { upgradeSocketId: 'sock-4' }))
    const object = done.response!.webSocket!.object!
    const evictions = (): number => runner.received.filter((e) => e.type === 'instance-evicted').length
    const before = evictions()
    runner.send({ type: 'evict-all', ...app })
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(evictions(), before, 'pinned by the accept-mode socket')
    await runner.message(app, 'sock-4', 'still here', object)
    assert.deepEqual(sends(runner, 'sock-4'), ['room:still here'])
    await runner.event({ type: 'ws-close', ...app, object, socketId: 'sock-4', code: 1000, reason: '', wasClean: true })
    await runner.waitFor(() => evictions() > before, 3000)
  })
})
