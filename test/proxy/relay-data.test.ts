import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, createHash } from 'node:crypto'
import WebSocket from 'ws'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage, closed } from '../helpers/ws-client.js'

let origin: TestOrigin
let edge: RunningEdge

before(async () => {
  origin = await startOrigin({
    handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
    perMessageDeflate: { threshold: 0 },
    upgradeHeaders: { 'x-origin-note': 'from-origin' },
    onMessage(ws, data, isBinary) {
      const text = data.toString()
      if (!isBinary && text.startsWith('close:')) {
        const [, code, reason] = text.split(':')
        ws.close(Number(code), reason)
      } else ws.send(data, { binary: isBinary })
    },
  })
  edge = await startEdge({ sites: [{ name: 'api', hosts: ['*'], origins: [origin.url] }] })
})

after(async () => {
  await edge.stop()
  await origin.close()
})

test('text and binary messages are relayed both ways unchanged', async () => {
  const ws = await connect(`${edge.wsUrl}/room`)
  ws.send('hello')
  const text = await nextMessage(ws)
  assert.equal(text.isBinary, false)
  assert.equal(text.data.toString(), 'hello')
  const bytes = randomBytes(1000)
  ws.send(bytes)
  const binary = await nextMessage(ws)
  assert.equal(binary.isBinary, true)
  assert.deepEqual(binary.data, bytes)
  ws.close()
  await closed(ws)
})

test('a 16 MiB message arrives intact', async () => {
  const ws = await connect(`${edge.wsUrl}/big`, undefined, { perMessageDeflate: false })
  const payload = randomBytes(16 * 1024 * 1024)
  ws.send(payload)
  const echoed = await nextMessage(ws)
  assert.equal(createHash('sha256').update(echoed.data).digest('hex'), createHash('sha256').update(payload).digest('hex'))
  ws.close()
  await closed(ws)
})

test('fragmented messages are reassembled by the far end', async () => {
  const ws = await connect(`${edge.wsUrl}/frag`, undefined, { perMessageDeflate: false })
  ws.send('part one, ', { fin: false })
  ws.send('part two, ', { fin: false })
  ws.send('end', { fin: true })
  const message = await nextMessage(ws)
  assert.equal(message.data.toString(), 'part one, part two, end')
  ws.close()
  await closed(ws)
})

test('client pings reach the origin and its pongs come back', async () => {
  const ws = await connect(`${edge.wsUrl}/ping`)
  const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve))
  ws.ping(Buffer.from('are-you-there'))
  assert.equal((await pong).toString(), 'are-you-there')
  ws.close()
  await closed(ws)
})

test('close code and reason from the client reach the origin', async () => {
  const ws = await connect(`${edge.wsUrl}/close-client`)
  const originSocket = await waitFor(() => [...origin.sockets].at(-1))
  const originClosed = new Promise<{ code: number; reason: string }>((resolve) => originSocket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
  ws.close(4001, 'client says bye')
  assert.deepEqual(await originClosed, { code: 4001, reason: 'client says bye' })
  assert.deepEqual(await closed(ws), { code: 4001, reason: 'client says bye' })
})

test('close code and reason from the origin reach the client, and the close is logged', async () => {
  const ws = await connect(`${edge.wsUrl}/close-origin`)
  const done = closed(ws)
  ws.send('close:4002:origin says bye')
  assert.deepEqual(await done, { code: 4002, reason: 'origin says bye' })
  const line = await waitFor(() => edge.logs.find((entry) => entry.event === 'ws_close' && entry.close_code === 4002))
  assert.equal(line.closed_by, 'origin')
  assert.equal(line.site, 'api')
  assert.equal((line.from_client as { messages: number }).messages, 1)
})

test('subprotocol and permessage-deflate are negotiated end to end', async () => {
  const ws = await connect(`${edge.wsUrl}/proto`, ['chat.v1', 'chat.v2'], { perMessageDeflate: true })
  assert.equal(ws.protocol, 'chat.v2')
  assert.match(ws.extensions, /permessage-deflate/)
  const handshake = origin.handshakes.at(-1)!
  assert.deepEqual(String(handshake.headers['sec-websocket-protocol']).split(/,\s*/), ['chat.v1', 'chat.v2'])
  assert.match(String(handshake.headers['sec-websocket-extensions']), /permessage-deflate/)
  const big = 'compressible '.repeat(5000)
  ws.send(big)
  assert.equal((await nextMessage(ws)).data.toString(), big)
  ws.close()
  await closed(ws)
})

test('origin 101 headers reach the client, forwarded headers reach the origin', async () => {
  const upgradeHeaders = new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
    const ws = new WebSocket(`${edge.wsUrl}/headers`, { headers: { host: 'app.example.com', 'x-forwarded-for': '203.0.113.9' } })
    ws.once('upgrade', (res) => { resolve(res.headers); ws.close() })
    ws.once('error', reject)
  })
  const headers = await upgradeHeaders
  assert.equal(headers['x-origin-note'], 'from-origin')
  const handshake = await waitFor(() => origin.handshakes.find((entry) => entry.url === '/headers'))
  assert.equal(handshake.headers.host, 'app.example.com')
  assert.equal(handshake.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
  assert.equal(handshake.headers['x-forwarded-proto'], 'http')
  assert.equal(handshake.headers['x-forwarded-host'], 'app.example.com')
  assert.match(String(handshake.headers.forwarded), /for=127\.0\.0\.1;.*proto=http/)
})

test('counters per direction are exact', async () => {
  const ws = await connect(`${edge.wsUrl}/count`, undefined, { perMessageDeflate: false })
  for (let index = 0; index < 10; index++) {
    ws.send(Buffer.alloc(100, index))
    await nextMessage(ws)
  }
  const live = await waitFor(() => [...edge.edge.connections.values()].find((connection) => connection.path === '/count'))
  assert.ok(live)
  ws.close(1000)
  await closed(ws)
  const line = await waitFor(() => edge.logs.find((entry) => entry.event === 'ws_close' && (entry as { id: string }).id === live.id))
  const fromClient = line.from_client as Record<string, number>
  const fromOrigin = line.from_origin as Record<string, number>
  assert.equal(fromClient.messages, 10)
  assert.equal(fromOrigin.messages, 10)
  assert.equal(fromClient.payloadBytes, 10 * 100 + 2) // + the 2-byte close code
  // Masked client frames carry 2 header + 4 mask bytes; origin frames 2 header bytes.
  assert.equal(fromClient.wireBytes, 10 * 106 + 8)
  assert.equal(fromOrigin.wireBytes - fromOrigin.payloadBytes, 2 * fromOrigin.frames)
})
