import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startEdge, type RunningEdge } from '../helpers/edge-harness.js'
import { connect, nextMessage } from '../helpers/ws-client.js'
import { httpRequest } from './raw-http.js'
import { refusal } from './clients.js'

/** `promise`, or a rejection naming `what` after `ms`: a missing echo fails fast, not at the suite timeout. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

interface SeenRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** An HTTP origin that records each request (body included) and answers 201 to POST. */
async function recordingOrigin(): Promise<{ url: string; host: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'text/plain', 'x-origin-says': 'hi' })
      res.end(`${req.method} ${req.url} ${body}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `http://${host}`,
    host,
    seen,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('HTTP requests through the edge', { timeout: 50_000 }, () => {
  let origin: Awaited<ReturnType<typeof recordingOrigin>>
  let running: RunningEdge

  before(async () => {
    origin = await recordingOrigin()
    running = await startEdge({
      log: { level: 'silent' },
      sites: [
        { name: 'shop', hosts: ['shop.test'], origins: [origin.url] },
        { name: 'rewrite', hosts: ['rewrite.test'], origins: [origin.url], preserve_host: false },
        { name: 'welcome', hosts: ['*'], builtin: 'welcome' },
      ],
    })
  })

  after(async () => {
    await running?.stop()
    await origin?.close()
  })

  test('a GET reaches the origin with X-Forwarded-For/-Proto/-Host and Forwarded, and the answer comes back', async () => {
    const answer = await httpRequest(running.port, { path: '/items?id=7', headers: { host: 'shop.test', 'x-forwarded-for': '203.0.113.9' } })
    assert.equal(answer.status, 200)
    assert.equal(answer.body, 'GET /items?id=7 ')
    assert.equal(answer.headers['x-origin-says'], 'hi')
    const seen = origin.seen.at(-1)!
    assert.equal(seen.method, 'GET')
    assert.equal(seen.url, '/items?id=7')
    assert.equal(seen.headers.host, 'shop.test')
    assert.equal(seen.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
    assert.equal(seen.headers['x-forwarded-proto'], 'http')
    assert.equal(seen.headers['x-forwarded-host'], 'shop.test')
    assert.equal(seen.headers.forwarded, 'for=127.0.0.1;proto=http;host=shop.test')
  })

  test('a POST body reaches the origin intact and its 201 comes back', async () => {
    const payload = JSON.stringify({ order: 42, note: 'ünïcode' })
    const answer = await httpRequest(running.port, {
      method: 'POST',
      path: '/orders',
      headers: { host: 'shop.test', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      body: payload,
    })
    assert.equal(answer.status, 201)
    assert.equal(answer.body, `POST /orders ${payload}`)
    const seen = origin.seen.at(-1)!
    assert.equal(seen.body, payload)
    assert.equal(seen.headers['content-type'], 'application/json')
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
    assert.equal(seen.headers.forwarded, 'for=127.0.0.1;proto=http;host=shop.test')
  })

  test('hop-by-hop headers and the fields Connection names are not forwarded', async () => {
    await httpRequest(running.port, { headers: { host: 'shop.test', connection: 'close, x-secret', 'x-secret': 'for the edge only', 'x-kept': 'yes' } })
    const seen = origin.seen.at(-1)!
    assert.equal(seen.headers['x-secret'], undefined)
    assert.equal(seen.headers['x-kept'], 'yes')
  })

  test('preserve_host: false sends the origin\'s own host and keeps the client\'s in X-Forwarded-Host', async () => {
    await httpRequest(running.port, { path: '/r', headers: { host: 'rewrite.test' } })
    const seen = origin.seen.at(-1)!
    assert.equal(seen.headers.host, origin.host)
    assert.equal(seen.headers['x-forwarded-host'], 'rewrite.test')
  })

  test('the builtin welcome site serves an HTML page at / that mentions Wedge', async () => {
    const page = await httpRequest(running.port, { headers: { host: 'anything.test' } })
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    assert.match(page.body, /<html/i)
    assert.match(page.body, /Wedge/)
    assert.match(page.body, /\/echo/)
  })

  test('the builtin welcome site echoes text and binary on a WebSocket at /echo', {
  }, async () => {
    const ws = await connect(`${running.wsUrl}/echo`)
    try {
      ws.send('hello wedge')
      const text = await within(2000, nextMessage(ws), 'echo of a text message')
      assert.equal(text.data.toString(), 'hello wedge')
      assert.equal(text.isBinary, false)
      ws.send(Buffer.from([1, 2, 3]))
      const binary = await within(2000, nextMessage(ws), 'echo of a binary message')
      assert.deepEqual([...binary.data], [1, 2, 3])
      assert.equal(binary.isBinary, true)
    } finally {
      ws.terminate()
    }
  })

  test('the builtin welcome site answers 404 to other paths', async () => {
    assert.equal((await httpRequest(running.port, { path: '/missing' })).status, 404)
    const refused = await refusal(connect(`${running.wsUrl}/elsewhere`))
    assert.equal(refused.status, 404)
  })
})
