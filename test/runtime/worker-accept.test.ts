import { test } from 'node:test'
import { request } from 'node:http'
import assert from 'node:assert/strict'
import { Client, appLogs, startAppEdge, tempApp } from './app-harness.js'
import { waitFor } from '../helpers/edge-harness.js'

/** A stateless Worker using the standard WebSocket API: accept() and event listeners in memory. */
const WORKER_APP = `
export default {
  async fetch(request) {
    const url = new URL(request.url)
    if (request.headers.get('upgrade') !== 'websocket') {
      if (url.pathname === '/echo-body') return new Response(await request.text(), { status: 201, headers: { 'x-method': request.method } })
      if (url.pathname === '/throw') throw new Error('handler exploded')
      return new Response('hello from the worker', { headers: { 'content-type': 'text/plain', 'x-app': 'worker' } })
    }
    if (url.pathname === '/refuse') return new Response('no sockets here', { status: 403 })
    const pair = new WebSocketPair()
    const [client, server] = Object.values(pair)
    server.accept()
    let count = 0
    server.addEventListener('message', (event) => {
      count++
      if (event.data === 'bye') return server.close(4000, 'see you')
      server.send('echo ' + count + ': ' + event.data)
    })
    server.addEventListener('close', (event) => console.log('worker socket closed ' + event.code))
    const protocol = request.headers.get('sec-websocket-protocol')
    const headers = protocol ? { 'sec-websocket-protocol': protocol.split(',')[0].trim() } : {}
    return new Response(null, { status: 101, webSocket: client, headers })
  }
}
`

test('a Worker serves HTTP requests and accept()-mode WebSockets with in-memory listeners', async (t) => {
  const app = tempApp(t, { 'worker.js': WORKER_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'worker', app: { main: app.file('worker.js') } }])

  const response = await fetch(`${edge.httpUrl}/`)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('x-app'), 'worker')
  assert.equal(await response.text(), 'hello from the worker')

  const posted = await fetch(`${edge.httpUrl}/echo-body`, { method: 'POST', body: 'payload 123' })
  assert.equal(posted.status, 201)
  assert.equal(posted.headers.get('x-method'), 'POST')
  assert.equal(await posted.text(), 'payload 123')

  const failed = await fetch(`${edge.httpUrl}/throw`)
  assert.equal(failed.status, 500)
  await failed.text()

  const client = await Client.open(t, `${edge.wsUrl}/socket`, ['chat.v1', 'chat.v2'])
  assert.equal(client.ws.protocol, 'chat.v1', 'the app\'s Sec-WebSocket-Protocol is answered')
  assert.equal(await client.ask('one'), 'echo 1: one')
  assert.equal(await client.ask('two'), 'echo 2: two', 'the listener keeps its state in memory')
  const other = await Client.open(t, `${edge.wsUrl}/socket`)
  assert.equal(await other.ask('x'), 'echo 1: x', 'each socket has its own listener')

  client.send('bye')
  const closed = await client.closed
  assert.equal(closed.code, 4000)
  assert.equal(closed.reason, 'see you')
  await other.close(1000)
  await waitFor(() => appLogs(edge, 'worker').some((line) => line.includes('worker socket closed 1000')), 3000, 'close listener ran')
  const open = edge.logs.find((line) => line.event === 'ws_open' && line.site === 'worker')
  assert.equal(open?.mode, 'accept')
})

test('an upgrade the app answers without 101 is passed to the client as is', async (t) => {
  const app = tempApp(t, { 'worker.js': WORKER_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'worker', app: { main: app.file('worker.js') } }])
  await assert.rejects(Client.open(t, `${edge.wsUrl}/refuse`), (error: Error & { status?: number; body?: string }) => {
    assert.equal(error.status, 403)
    assert.equal(error.body, 'no sockets here')
    return true
  })
  assert.equal(edge.edge.connections.size, 0)
})

test('a request body over 32 MiB is refused with 413', async (t) => {
  const app = tempApp(t, { 'worker.js': WORKER_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'worker', app: { main: app.file('worker.js') } }])
  const total = 32 * 1024 * 1024 + 1
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${edge.httpUrl}/echo-body`, { method: 'POST', headers: { 'content-length': String(total) } }, (res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
      req.destroy()
    })
    req.on('error', (error) => { if (!req.destroyed) reject(error) })
    // Send in chunks until the edge answers (it does not wait for the whole body).
    const chunk = Buffer.alloc(1024 * 1024)
    let sent = 0
    const pump = (): void => {
      while (sent < total && !req.destroyed) {
        const size = Math.min(chunk.length, total - sent)
        sent += size
        if (!req.write(size === chunk.length ? chunk : chunk.subarray(0, size))) return void req.once('drain', pump)
      }
      if (!req.destroyed) req.end()
    }
    pump()
  })
  assert.equal(status, 413)
})

test('a client message over app.max_message_size closes the socket with 1009', async (t) => {
  const app = tempApp(t, { 'worker.js': WORKER_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'worker', app: { main: app.file('worker.js'), max_message_size: '1KiB' } }])
  const client = await Client.open(t, `${edge.wsUrl}/socket`)
  assert.equal(await client.ask('x'.repeat(1024)), `echo 1: ${'x'.repeat(1024)}`)
  client.send('x'.repeat(1025))
  assert.equal((await client.closed).code, 1009)
  await waitFor(() => appLogs(edge, 'worker').some((line) => line.includes('worker socket closed 1009')), 3000, 'the app to hear the close')
})
