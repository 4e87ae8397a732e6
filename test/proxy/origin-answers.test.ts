import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net, { type AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { startEdge, type RunningEdge } from '../helpers/edge-harness.js'
import { refusal } from '../edge/clients.js'
import { connect } from '../helpers/ws-client.js'
import { rawExchange, upgradeHead } from '../edge/raw-http.js'
import { computeAcceptKey } from '../../src/protocol/handshake.js'

/**
 * What the edge does with an origin's raw answer to the handshake: non-101 answers pass
 * through with their body framed exactly as the origin framed it, 1xx interim answers are
 * skipped, bytes sent with the 101 are relayed, and malformed heads are refused.
 */

type Behaviour = (socket: net.Socket, request: string) => void

describe('origin answers to the handshake', { timeout: 30_000 }, () => {
  const servers: net.Server[] = []
  const sockets = new Set<net.Socket>()
  let behaviour: Behaviour = () => {}
  let running: RunningEdge

  before(async () => {
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
      let request = ''
      const onData = (chunk: Buffer): void => {
        request += chunk.toString('latin1')
        if (!request.includes('\r\n\r\n')) return
        socket.removeListener('data', onData)
        behaviour(socket, request)
      }
      socket.on('data', onData)
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    running = await startEdge({ sites: [{ name: 'raw', origins: [origin], timeouts: { response: '10s' } }] })
  })

  after(async () => {
    for (const socket of sockets) socket.destroy()
    for (const server of servers) server.close()
    await running.stop()
  })

  /** Sends an upgrade through the edge and resolves with everything received until the edge closes. */
  function exchangeUntilClosed(): ReturnType<typeof rawExchange> {
    return rawExchange(running.port, upgradeHead('raw.test', '/'), { until: () => false, timeoutMs: 5000 })
  }

  test('a chunked refusal reaches the client with its raw chunks, and the edge ends the connection after the last chunk', async () => {
    const chunks = ['6\r\ndenied\r\n', '3;note=x\r\n!!!\r\n', '0\r\nX-Trailer: t\r\n\r\n']
    behaviour = (socket) => {
      socket.write('HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nX-Reason: test\r\n\r\n')
      chunks.forEach((chunk, index) => setTimeout(() => socket.write(chunk), 20 * (index + 1)))
      // The origin keeps its connection open: only the chunked framing says the body ended.
    }
    const answer = await exchangeUntilClosed()
    assert.equal(answer.status, 403)
    assert.equal(answer.headers['transfer-encoding'], 'chunked')
    assert.equal(answer.headers['x-reason'], 'test')
    assert.equal(answer.headers.connection, 'close')
    assert.equal(answer.body, chunks.join(''))
  })

  test('a Content-Length refusal carries exactly that many body bytes, whatever the origin sends after', async () => {
    behaviour = (socket) => socket.write('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 5\r\nRetry-After: 3\r\n\r\nslow!EXTRA BYTES')
    const answer = await exchangeUntilClosed()
    assert.equal(answer.status, 429)
    assert.equal(answer.headers['retry-after'], '3')
    assert.equal(answer.body, 'slow!')
  })

  test('a refusal without length or chunking is relayed until the origin closes', async () => {
    behaviour = (socket) => {
      socket.write('HTTP/1.1 503 Service Unavailable\r\n\r\nfirst part, ')
      setTimeout(() => socket.end('second part'), 30)
    }
    const answer = await exchangeUntilClosed()
    assert.equal(answer.status, 503)
    assert.equal(answer.body, 'first part, second part')
  })

  test('1xx answers before the 101 are skipped, and frames sent with the 101 reach the client', async () => {
    behaviour = (socket, request) => {
      const key = /sec-websocket-key: *(\S+)/i.exec(request)![1]!
      // Interim answer, 101 and a first text frame in one write: the edge must split them.
      socket.write(
        'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n` +
        '\x81\x05hello',
        'latin1',
      )
    }
    const ws = new WebSocket(`${running.wsUrl}/`, { headers: { host: 'raw.test' } })
    try {
      const message = await new Promise<string>((resolve, reject) => {
        ws.once('message', (data: Buffer) => resolve(data.toString()))
        ws.once('error', reject)
      })
      assert.equal(message, 'hello')
    } finally {
      ws.terminate()
    }
  })

  test('an origin head with obsolete line folding is refused with 502', async () => {
    behaviour = (socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Folded: a\r\n b\r\n\r\n')
    const refused = await refusal(connect(`${running.wsUrl}/`))
    assert.equal(refused.status, 502)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_ORIGIN_GONE')
  })

  test('an origin that closes without answering gets 502 at once, not a timeout', async () => {
    behaviour = (socket) => socket.end()
    const started = performance.now()
    const refused = await refusal(connect(`${running.wsUrl}/`))
    assert.equal(refused.status, 502)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_ORIGIN_GONE')
    assert.ok(performance.now() - started < 2000, 'answered long before timeouts.response')
  })
})
