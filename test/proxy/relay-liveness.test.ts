import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage, closed } from '../helpers/ws-client.js'
import { rawConnect } from '../helpers/raw-client.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup() })

async function setup(ws: Record<string, unknown>, originOptions: Parameters<typeof startOrigin>[0] = {}): Promise<{ edge: RunningEdge; origin: TestOrigin }> {
  const origin = await startOrigin(originOptions)
  const edge = await startEdge({ sites: [{ name: 'live', hosts: ['*'], origins: [origin.url], ws }] })
  cleanups.push(() => origin.close(), () => edge.stop())
  return { edge, origin }
}

test('edge pings the client; answered pongs are not forwarded to the origin', async () => {
  const { edge, origin } = await setup({ ping_interval: 100, ping_timeout: 80 })
  const ws = await connect(`${edge.wsUrl}/`)
  let pings = 0
  ws.on('ping', () => { pings++ })
  await waitFor(() => pings >= 3, 3000, 'three edge pings')
  assert.equal(origin.pongs, 0)
  ws.send('alive')
  assert.equal((await nextMessage(ws)).data.toString(), 'alive')
  ws.close()
})

test('a client that does not answer edge pings is closed with 1001', async () => {
  const { edge, origin } = await setup({ ping_interval: 100, ping_timeout: 80 })
  const client = await rawConnect(edge.port, '/', { answerPings: false })
  const originSocket = await waitFor(() => [...origin.sockets][0])
  const originClosed = new Promise<number>((resolve) => originSocket.once('close', resolve))
  const frame = await client.closeFrame
  assert.equal(frame.code, 1001)
  assert.ok(client.pings.length >= 1)
  assert.equal(await originClosed, 1001)
  const line = await waitFor(() => edge.logs.find((entry) => entry.event === 'ws_close'))
  assert.equal(line.error, 'WEDGE_PING_TIMEOUT')
})

test('edge pings the origin and its pongs never reach the client', async () => {
  const { edge } = await setup({ origin_ping_interval: 100, ping_timeout: 80 })
  const ws = await connect(`${edge.wsUrl}/`)
  let pongs = 0
  ws.on('pong', () => { pongs++ })
  await new Promise((resolve) => setTimeout(resolve, 450))
  assert.equal(ws.readyState, ws.OPEN)
  assert.equal(pongs, 0)
  ws.close()
})

test('an origin that does not answer edge pings is closed and the client gets 1014', async () => {
  const { edge } = await setup({ origin_ping_interval: 100, ping_timeout: 80 }, { autoPong: false })
  const ws = await connect(`${edge.wsUrl}/`)
  const result = await closed(ws)
  assert.equal(result.code, 1014)
})

test('a quiet socket is never closed when no idle timeout is set', async () => {
  const { edge } = await setup({})
  const ws = await connect(`${edge.wsUrl}/`)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  assert.equal(ws.readyState, ws.OPEN)
  ws.send('still open')
  assert.equal((await nextMessage(ws)).data.toString(), 'still open')
  ws.close()
})

test('idle_timeout closes a quiet socket with 1001, traffic keeps it open', async () => {
  const { edge } = await setup({ idle_timeout: 300 })
  const busy = await connect(`${edge.wsUrl}/`)
  const quiet = await connect(`${edge.wsUrl}/`)
  const quietClosed = closed(quiet)
  const started = Date.now()
  const keepBusy = setInterval(() => busy.send('tick'), 100)
  const result = await quietClosed
  clearInterval(keepBusy)
  assert.equal(result.code, 1001)
  assert.ok(Date.now() - started >= 250)
  assert.equal(busy.readyState, busy.OPEN)
  busy.close()
})

test('when the origin TCP connection dies the client gets 1014, not a silent reset', async () => {
  const { edge, origin } = await setup({})
  const ws = await connect(`${edge.wsUrl}/`)
  const originSocket = await waitFor(() => [...origin.sockets][0])
  const done = closed(ws)
  originSocket.terminate()
  const result = await done
  assert.equal(result.code, 1014)
})

test('when the client TCP connection dies the origin gets 1001', async () => {
  const { edge, origin } = await setup({})
  const client = await rawConnect(edge.port)
  const originSocket = await waitFor(() => [...origin.sockets][0])
  const originClosed = new Promise<number>((resolve) => originSocket.once('close', resolve))
  client.socket.destroy()
  assert.equal(await originClosed, 1001)
})

test('a slow reader pauses the origin, stays bounded, and is closed with 1008 after the timeout', async () => {
  const { edge, origin } = await setup({ max_buffered: 256 * 1024, slow_reader_timeout: 500 }, { onMessage: () => {} })
  const client = await rawConnect(edge.port, '/', { read: false })
  const originSocket = await waitFor(() => [...origin.sockets][0])
  const chunk = Buffer.alloc(64 * 1024)
  let sent = 0
  const flood = setInterval(() => {
    for (let index = 0; index < 16 && originSocket.readyState === originSocket.OPEN; index++) {
      originSocket.send(chunk)
      sent++
    }
  }, 5)
  const originClosed = new Promise<number>((resolve) => originSocket.once('close', resolve))
  const code = await originClosed
  clearInterval(flood)
  assert.equal(code, 1008)
  const line = await waitFor(() => edge.logs.find((entry) => entry.event === 'ws_close'))
  assert.equal(line.error, 'WEDGE_SLOW_CONSUMER')
  // The edge paused the origin instead of buffering everything it sent.
  const relayed = (line.from_origin as { wireBytes: number }).wireBytes
  assert.ok(relayed < sent * chunk.length, `relayed ${relayed} of ${sent * chunk.length}`)
  client.socket.destroy()
})

test('bytes the client sends before the upgrade completes are not lost', async () => {
  const { edge } = await setup({})
  const socket = net.connect(edge.port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.destroy()
  const ws = await connect(`${edge.wsUrl}/`)
  ws.send('after a client vanished mid-way')
  assert.equal((await nextMessage(ws)).data.toString(), 'after a client vanished mid-way')
  ws.close()
})
