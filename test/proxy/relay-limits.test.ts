import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage, closed } from '../helpers/ws-client.js'
import { rawConnect } from '../helpers/raw-client.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup() })

async function setup(ws: Record<string, unknown>, originOptions: Parameters<typeof startOrigin>[0] = {}): Promise<{ edge: RunningEdge; origin: TestOrigin }> {
  const origin = await startOrigin(originOptions)
  const edge = await startEdge({ sites: [{ name: 'limited', hosts: ['*'], origins: [origin.url], ws }] })
  cleanups.push(() => origin.close(), () => edge.stop())
  return { edge, origin }
}

test('relay closes with 1009 when a client message exceeds the limit, and the origin side is closed too', async () => {
  const { edge, origin } = await setup({ max_message_size: 1024 })
  const ws = await connect(`${edge.wsUrl}/`, undefined, { perMessageDeflate: false })
  ws.send(Buffer.alloc(1024))
  assert.equal((await nextMessage(ws)).data.length, 1024)
  const originSocket = [...origin.sockets][0]!
  const originClosed = new Promise<number>((resolve) => originSocket.once('close', resolve))
  const done = closed(ws)
  ws.send(Buffer.alloc(1025))
  assert.equal((await done).code, 1009)
  assert.equal(await originClosed, 1009)
  const line = await waitFor(() => edge.logs.find((entry) => entry.event === 'ws_close'))
  assert.equal(line.error, 'WEDGE_MESSAGE_TOO_BIG')
  assert.equal(line.closed_by, 'edge')
})

test('relay closes with 1009 when a fragmented message grows past the limit', async () => {
  const { edge } = await setup({ max_message_size: 1000 })
  const ws = await connect(`${edge.wsUrl}/`, undefined, { perMessageDeflate: false })
  const done = closed(ws)
  ws.send(Buffer.alloc(600), { fin: false })
  ws.send(Buffer.alloc(600), { fin: true })
  assert.equal((await done).code, 1009)
})

test('a too-big message from the origin closes the client with 1009', async () => {
  const { edge } = await setup({ max_message_size: 1000 }, { onMessage: (ws) => ws.send(Buffer.alloc(5000)) })
  const ws = await connect(`${edge.wsUrl}/`, undefined, { perMessageDeflate: false })
  const done = closed(ws)
  ws.send('give me a lot')
  assert.equal((await done).code, 1009)
})

test('message rate over the limit closes with 1008', async () => {
  const { edge } = await setup({ client_message_rate: { per_second: 5, burst: 5, action: 'close' } })
  const ws = await connect(`${edge.wsUrl}/`)
  const done = closed(ws)
  for (let index = 0; index < 20; index++) ws.send(`m${index}`)
  const result = await done
  assert.equal(result.code, 1008)
  assert.match(result.reason, /rate/)
})

test('message rate with action drop drops the excess and keeps the socket', async () => {
  const { edge, origin } = await setup({ client_message_rate: { per_second: 5, burst: 5, action: 'drop' } }, { onMessage: () => {} })
  const ws = await connect(`${edge.wsUrl}/`)
  let received = 0
  origin.wss.on('connection', () => {})
  const originSocket = await waitFor(() => [...origin.sockets][0])
  originSocket.on('message', () => { received++ })
  for (let index = 0; index < 20; index++) ws.send(`m${index}`)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(received, 5)
  assert.equal(ws.readyState, ws.OPEN)
  await new Promise((resolve) => setTimeout(resolve, 500))
  ws.send('later')
  await waitFor(() => received === 6, 2000, 'the later message after refill')
  ws.close()
})

test('an unmasked client frame closes the client with 1002 and the origin side', async () => {
  const { edge, origin } = await setup({})
  const client = await rawConnect(edge.port)
  await waitFor(() => origin.sockets.size === 1)
  const originSocket = [...origin.sockets][0]!
  const originClosed = new Promise<number>((resolve) => originSocket.once('close', resolve))
  client.sendFrame(0x1, Buffer.from('hi'), { mask: false })
  const frame = await client.closeFrame
  assert.equal(frame.code, 1002)
  assert.match(frame.reason, /unmasked/)
  assert.equal(await originClosed, 1002)
  await client.ended
})

test('reserved opcodes and oversized control frames are protocol errors (1002)', async () => {
  const { edge } = await setup({})
  const reserved = await rawConnect(edge.port)
  reserved.sendFrame(0x3, Buffer.from('x'))
  assert.equal((await reserved.closeFrame).code, 1002)
  const bigPing = await rawConnect(edge.port)
  bigPing.sendFrame(0x9, Buffer.alloc(126))
  assert.equal((await bigPing.closeFrame).code, 1002)
  const fragmentedPing = await rawConnect(edge.port)
  fragmentedPing.sendFrame(0x9, Buffer.from('x'), { fin: false })
  assert.equal((await fragmentedPing.closeFrame).code, 1002)
})

test('a violation on one connection does not disturb another', async () => {
  const { edge } = await setup({})
  const good = await connect(`${edge.wsUrl}/`)
  const bad = await rawConnect(edge.port)
  bad.sendFrame(0x1, Buffer.from('x'), { mask: false })
  await bad.closeFrame
  good.send('still here')
  assert.equal((await nextMessage(good)).data.toString(), 'still here')
  good.close()
})
