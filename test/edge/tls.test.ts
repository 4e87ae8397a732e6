import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import https from 'node:https'
import tls, { type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { startEdge, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage } from '../helpers/ws-client.js'
import { leafCert, testCa, type TestCa } from '../helpers/tls-certs.js'
import { httpRequest } from './raw-http.js'
import { refusal } from './clients.js'

/** Opens a wss:// client and reports the certificate the edge presented. */
function openWss(url: string, options: WebSocket.ClientOptions & { servername?: string }): Promise<{ ws: WebSocket; subjectCn: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options)
    let subjectCn = ''
    ws.once('upgrade', (response) => {
      subjectCn = String((response.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '')
    })
    ws.once('open', () => resolve({ ws, subjectCn }))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

/** The subject CN a TLS server presents for an SNI name (no name check: just which cert). */
function certificateFor(port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, checkServerIdentity: () => undefined }, () => {
      const cn = String(socket.getPeerCertificate().subject?.CN ?? '')
      socket.destroy()
      resolve(cn)
    })
    socket.once('error', reject)
  })
}

describe('TLS listeners and SNI', { timeout: 50_000 }, () => {
  let ca: TestCa
  let origin: TestOrigin
  let running: RunningEdge

  before(async () => {
    ca = await testCa()
    const [edgeCert, aCert, bCert] = await Promise.all([
      leafCert(['wedge-edge.test', '127.0.0.1']),
      leafCert(['a.test']),
      leafCert(['b.test']),
    ])
    origin = await startOrigin({ name: 'behind-tls' })
    running = await startEdge({
      listen: undefined,
      listeners: [{ address: '127.0.0.1:0', tls: { cert: edgeCert.certPath, key: edgeCert.keyPath } }],
      log: { level: 'silent' },
      sites: [
        { name: 'site-a', hosts: ['a.test'], origins: [origin.url], tls: { cert: aCert.certPath, key: aCert.keyPath } },
        { name: 'site-b', hosts: ['b.test'], origins: [origin.url], tls: { cert: bCert.certPath, key: bCert.keyPath } },
        { name: 'default', hosts: ['127.0.0.1'], origins: [origin.url] },
      ],
    })
  })

  after(async () => {
    await running?.stop()
    await origin?.close()
  })

  test('a TLS listener serves wss:// to a client that trusts the CA', async () => {
    assert.ok(running.wsUrl.startsWith('wss://'), running.wsUrl)
    const { ws, subjectCn } = await openWss(`${running.wsUrl}/secure`, { ca: ca.pem })
    try {
      assert.equal(subjectCn, 'wedge-edge.test')
      ws.send('over tls')
      assert.equal((await nextMessage(ws)).data.toString(), 'over tls')
      const handshake = origin.handshakes.at(-1)!
      assert.equal(handshake.url, '/secure')
      assert.equal(handshake.headers['x-forwarded-proto'], 'https')
    } finally {
      ws.terminate()
    }
  })

  test('a client that does not trust the CA cannot connect', async () => {
    await assert.rejects(connect(`${running.wsUrl}/`), /self-signed|unable to verify|certificate/i)
  })

  test('SNI picks each site\'s own certificate and the site serves the connection', async () => {
    for (const name of ['a.test', 'b.test']) {
      const { ws, subjectCn } = await openWss(`${running.wsUrl}/room`, { ca: ca.pem, servername: name, headers: { host: name } })
      try {
        assert.equal(subjectCn, name)
        ws.send(`hello ${name}`)
        assert.equal((await nextMessage(ws)).data.toString(), `hello ${name}`)
        assert.equal(origin.handshakes.at(-1)?.headers.host, name)
      } finally {
        ws.terminate()
      }
    }
  })

  test('an SNI name no site has a certificate for gets the listener\'s certificate', async () => {
    assert.equal(await certificateFor(running.port, 'unknown.test', ca.pem), 'wedge-edge.test')
    assert.equal(await certificateFor(running.port, 'a.test', ca.pem), 'a.test')
  })
})

describe('TLS towards wss:// origins', { timeout: 50_000 }, () => {
  let ca: TestCa
  let server: https.Server
  let wss: WebSocketServer
  let running: RunningEdge
  /** SNI names the origin saw, by kind of request. */
  const servernames = { upgrade: [] as unknown[], request: [] as unknown[] }

  before(async () => {
    ca = await testCa()
    const originCert = await leafCert(['localhost', '127.0.0.1'])
    server = https.createServer({ cert: originCert.cert, key: originCert.key }, (req, res) => {
      servernames.request.push((req.socket as TLSSocket).servername)
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('secure origin')
    })
    server.on('upgrade', (req) => servernames.upgrade.push((req.socket as TLSSocket).servername))
    wss = new WebSocketServer({ server })
    wss.on('connection', (ws) => {
      ws.on('error', () => {})
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const originUrl = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`
    running = await startEdge({
      log: { level: 'silent' },
      sites: [
        { name: 'with-ca', hosts: ['with-ca.test'], origins: [originUrl], origin_tls: { ca: ca.certPath } },
        { name: 'no-ca', hosts: ['no-ca.test'], origins: [originUrl] },
        { name: 'no-verify', hosts: ['no-verify.test'], origins: [originUrl], origin_tls: { verify: false } },
      ],
    })
  })

  after(async () => {
    await running?.stop()
    for (const client of wss?.clients ?? []) client.terminate()
    wss?.close()
    server?.closeAllConnections()
    await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined))
  })

  const dial = (host: string): Promise<WebSocket> => connect(`${running.wsUrl}/`, undefined, { headers: { host } })

  async function echoes(ws: WebSocket): Promise<void> {
    try {
      ws.send('through tls')
      assert.equal((await nextMessage(ws)).data.toString(), 'through tls')
    } finally {
      ws.terminate()
    }
  }

  test('a wss:// origin signed by origin_tls.ca is proxied', async () => {
    await echoes(await dial('with-ca.test'))
  })

  test('a wss:// origin the edge cannot verify is refused with 502', async () => {
    const error = await refusal(dial('no-ca.test'))
    assert.equal(error.status, 502)
    assert.equal(error.headers?.['x-wedge-error'], 'WEDGE_NO_HEALTHY_ORIGIN')
    assert.ok(!error.body?.includes('127.0.0.1'), error.body)
  })

  test('origin_tls.verify: false accepts the unverified origin', async () => {
    await echoes(await dial('no-verify.test'))
  })

  test('plain HTTP requests reach an https origin with origin_tls.ca, and fail with 502 without it', async () => {
    const status = async (host: string): Promise<{ status: number; body: string }> => {
      const { status, body } = await httpRequest(running.port, { headers: { host } })
      return { status, body }
    }
    assert.deepEqual(await status('with-ca.test'), { status: 200, body: 'secure origin' })
    assert.equal((await status('no-ca.test')).status, 502)
  })

  test('HTTP requests to an origin addressed by IP send no SNI name (RFC 6066 §3)', () => {
    assert.ok(servernames.request.length > 0)
    for (const name of servernames.request) assert.ok(!name, `origin saw SNI ${JSON.stringify(name)}`)
  })

  test('WebSocket handshakes to an origin addressed by IP send no SNI name (RFC 6066 §3)', {
  }, () => {
    assert.ok(servernames.upgrade.length > 0)
    for (const name of servernames.upgrade) assert.ok(!name, `origin saw SNI ${JSON.stringify(name)}`)
  })
})
