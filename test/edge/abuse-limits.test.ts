import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type WebSocket from 'ws'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage } from '../helpers/ws-client.js'
import { head, parseResponse, rawExchange, type RawResponse } from './raw-http.js'
import { refusal, type Refusal } from './clients.js'

describe('per-site abuse limits', { timeout: 50_000 }, () => {
  let origin: TestOrigin
  let running: RunningEdge
  const open: WebSocket[] = []

  before(async () => {
    origin = await startOrigin({ name: 'limited' })
    running = await startEdge({
      log: { level: 'silent' },
      sites: [
        { name: 'cap', hosts: ['cap.test'], origins: [origin.url], limits: { max_connections: 2 } },
        { name: 'per-ip', hosts: ['per-ip.test'], origins: [origin.url], limits: { max_connections_per_ip: 2 } },
        { name: 'rate', hosts: ['rate.test'], origins: [origin.url], limits: { handshakes_per_second_per_ip: 2 } },
      ],
    })
  })

  after(async () => {
    for (const ws of open) ws.terminate()
    await running?.stop()
    await origin?.close()
  })

  const dial = (host: string, options: { localAddress?: string } = {}): Promise<WebSocket> =>
    connect(`${running.wsUrl}/`, undefined, { headers: { host }, ...options })

  test('max_connections refuses the connection beyond it with 503, and admits again once one closes', async () => {
    open.push(await dial('cap.test'), await dial('cap.test'))
    const refused = await refusal(dial('cap.test'))
    assert.equal(refused.status, 503)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_SITE_CONNECTION_LIMIT')
    assert.match(refused.body ?? '', /Too many connections to this site/)

    const sizeBefore = running.edge.connections.size
    open.shift()!.close()
    await waitFor(() => running.edge.connections.size === sizeBefore - 1, 5000, 'the edge to see the close')
    const again = await dial('cap.test')
    open.push(again)
    again.send('still here')
    assert.equal((await nextMessage(again)).data.toString(), 'still here')
  })

  test('max_connections_per_ip refuses a third connection from one address with 429, not from another address', async () => {
    open.push(await dial('per-ip.test'), await dial('per-ip.test'))
    const refused = await refusal(dial('per-ip.test'))
    assert.equal(refused.status, 429)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_IP_CONNECTION_LIMIT')
    assert.match(refused.body ?? '', /Too many connections from this address/)
    // 127.0.0.2 is another client address on the loopback network: its own quota.
    const other = await dial('per-ip.test', { localAddress: '127.0.0.2' })
    open.push(other)
    assert.equal(origin.handshakes.at(-1)?.headers['x-forwarded-for'], '127.0.0.2')
  })

  test('handshakes_per_second_per_ip refuses a burst with 429, then admits again after a second', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => dial('rate.test')))
    const accepted = attempts.filter((attempt) => attempt.status === 'fulfilled')
    const refused = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected').map((attempt) => attempt.reason as Refusal)
    for (const attempt of accepted) attempt.value.terminate()
    assert.ok(accepted.length >= 1, 'the first handshakes fit in the burst')
    assert.ok(refused.length >= 1, `6 handshakes at once should exceed 2 per second (accepted ${accepted.length})`)
    for (const error of refused) {
      assert.equal(error.status, 429)
      assert.equal(error.headers?.['x-wedge-error'], 'WEDGE_IP_HANDSHAKE_RATE')
    }
    await sleep(1100)
    const later = await dial('rate.test')
    later.terminate()
    const counted = running.edge.counters.snapshot().refusals.WEDGE_IP_HANDSHAKE_RATE
    assert.equal(counted, refused.length)
  })

  test('every refusal is counted under its code', () => {
    const { refusals } = running.edge.counters.snapshot()
    assert.equal(refusals.WEDGE_SITE_CONNECTION_LIMIT, 1)
    assert.equal(refusals.WEDGE_IP_CONNECTION_LIMIT, 1)
    assert.ok((refusals.WEDGE_IP_HANDSHAKE_RATE ?? 0) >= 1)
  })
})

describe('request head limits of the server', { timeout: 50_000 }, () => {
  let origin: TestOrigin
  let running: RunningEdge

  before(async () => {
    origin = await startOrigin({ name: 'guarded' })
    running = await startEdge({
      log: { level: 'silent' },
      server: { max_header_size: 2048, header_timeout: 300 },
      sites: [{ name: 'guarded', origins: [origin.url] }],
    })
  })

  after(async () => {
    await running?.stop()
    await origin?.close()
  })

  test('a request head over max_header_size is refused with 431', async () => {
    const big = 'a'.repeat(4096)
    const plain = await rawExchange(running.port, head(['GET / HTTP/1.1', 'Host: guarded.test', `X-Big: ${big}`]))
    assert.equal(plain.status, 431, plain.raw)
    assert.equal(plain.headers['x-wedge-error'], 'WEDGE_HEADERS_TOO_LARGE')
    assert.match(plain.body, /Request headers too large/)

    const refused = await refusal(connect(`${running.wsUrl}/`, undefined, { headers: { 'x-big': big } }))
    assert.equal(refused.status, 431)
    assert.equal(origin.handshakes.length, 0)
    assert.equal(origin.requests, 0)
  })

  test('a request head under max_header_size is served', async () => {
    const ok = await rawExchange(running.port, head(['GET /small HTTP/1.1', 'Host: guarded.test', `X-Small: ${'b'.repeat(512)}`, 'Connection: close']))
    assert.equal(ok.status, 200, ok.raw)
  })

  test('a client sending its head slowly is answered 408 soon after header_timeout', async () => {
    const socket = net.connect(running.port, '127.0.0.1')
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    const started = performance.now()
    let received = ''
    let endedAt = 0
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
    const ended = new Promise<void>((resolve) => socket.once('close', () => { endedAt = performance.now(); resolve() }))
    socket.write('GET / HTTP/1.1\r\nHost: guarded.test\r\n')
    // One header line every 50 ms, never the blank line: bounded to 3 s.
    for (let line = 0; line < 60 && !socket.destroyed && received === ''; line++) {
      socket.write(`X-Drip-${line}: a\r\n`)
      await sleep(50)
    }
    await Promise.race([ended, sleep(1000)])
    socket.destroy()
    const response: RawResponse = parseResponse(received)
    assert.equal(response.status, 408, JSON.stringify(received))
    assert.equal(response.headers['x-wedge-error'], 'WEDGE_HEADER_TIMEOUT')
    const elapsed = (endedAt || performance.now()) - started
    assert.ok(elapsed >= 250, `answered after ${elapsed.toFixed(0)} ms, before header_timeout`)
    assert.ok(elapsed < 1500, `answered after ${elapsed.toFixed(0)} ms, long after header_timeout (300 ms)`)
  })

  test('an open WebSocket outlives header_timeout', async () => {
    const ws = await connect(`${running.wsUrl}/`)
    try {
      await sleep(800)
      ws.send('late')
      assert.equal((await nextMessage(ws)).data.toString(), 'late')
    } finally {
      ws.terminate()
    }
  })

  test('the 431 and 408 refusals are counted', () => {
    const { refusals } = running.edge.counters.snapshot()
    assert.equal(refusals.WEDGE_HEADERS_TOO_LARGE, 2)
    assert.equal(refusals.WEDGE_HEADER_TIMEOUT, 1)
  })
})
