import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, it } from 'node:test'
import { readAll, refusedUrl, send, startEdge, startOrigin, within, type TestEdge, type TestOrigin } from './harness.js'

/** An origin that answers with the request it saw as JSON. */
async function echoOrigin(): Promise<TestOrigin> {
  return startOrigin(async (req, res) => {
    const body = await readAll(req)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() }))
  })
}

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

describe('http proxy request and response headers', () => {
  let origin: TestOrigin
  let edge: TestEdge
  let rewriting: TestEdge

  before(async () => {
    origin = await echoOrigin()
    edge = await startEdge([origin.url])
    rewriting = await startEdge([origin.url], { preserve_host: false })
  })
  after(async () => {
    await edge.close()
    await rewriting.close()
    await origin.close()
  })

  it('appends the client to X-Forwarded-For and Forwarded and sets X-Forwarded-Proto/Host', async () => {
    const response = await send(edge.url, {
      path: '/who?x=1',
      headers: { host: 'app.example', 'x-forwarded-for': '198.51.100.1', forwarded: 'for=198.51.100.1;proto=https' },
    })
    const seen = JSON.parse(response.body.toString()) as Seen
    assert.equal(seen.url, '/who?x=1')
    assert.equal(seen.headers['x-forwarded-for'], '198.51.100.1, 127.0.0.1')
    assert.equal(seen.headers['x-forwarded-proto'], 'http')
    assert.equal(seen.headers['x-forwarded-host'], 'app.example')
    assert.equal(seen.headers.forwarded, 'for=198.51.100.1;proto=https, for=127.0.0.1;proto=http;host=app.example')
  })

  it('requests the path under the origin URL path', async () => {
    const based = await startEdge([new URL('/base/', origin.url)])
    try {
      const seen = JSON.parse((await send(based.url, { path: '/x/y?q=1' })).body.toString()) as Seen
      assert.equal(seen.url, '/base/x/y?q=1')
    } finally {
      await based.close()
    }
  })

  it('sends the client Host when preserve_host is on and the origin host:port when off', async () => {
    const preserved = JSON.parse((await send(edge.url, { headers: { host: 'app.example' } })).body.toString()) as Seen
    assert.equal(preserved.headers.host, 'app.example')
    const rewritten = JSON.parse((await send(rewriting.url, { headers: { host: 'app.example' } })).body.toString()) as Seen
    assert.equal(rewritten.headers.host, origin.url.host)
    assert.equal(rewritten.headers['x-forwarded-host'], 'app.example')
  })

  it('removes hop-by-hop request fields, including those named in Connection', async () => {
    const response = await send(edge.url, {
      headers: {
        connection: 'keep-alive, X-Hop-Secret',
        'x-hop-secret': 'do not forward',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'x-end-to-end': 'kept',
      },
    })
    const seen = JSON.parse(response.body.toString()) as Seen
    assert.equal(seen.headers['x-hop-secret'], undefined)
    assert.equal(seen.headers['keep-alive'], undefined)
    assert.equal(seen.headers.te, undefined)
    assert.equal(seen.headers['proxy-authorization'], undefined)
    assert.equal(seen.headers['x-end-to-end'], 'kept')
  })

  it('removes hop-by-hop response fields, including those named in Connection', async () => {
    const hopOrigin = await startOrigin((_req, res) => {
      res.writeHead(200, {
        connection: 'keep-alive, X-Origin-Hop',
        'x-origin-hop': 'internal',
        'proxy-authenticate': 'Basic realm="origin"',
        'x-app': 'kept',
      })
      res.end('ok')
    })
    const hopEdge = await startEdge([hopOrigin.url])
    try {
      const response = await send(hopEdge.url)
      assert.equal(response.headers['x-origin-hop'], undefined)
      assert.equal(response.headers['proxy-authenticate'], undefined)
      assert.equal(response.headers['x-app'], 'kept')
    } finally {
      await hopEdge.close()
      await hopOrigin.close()
    }
  })

  it('forwards an empty POST with Content-Length: 0', async () => {
    const response = await send(edge.url, { method: 'POST', headers: { 'content-length': 0 } })
    const seen = JSON.parse(response.body.toString()) as Seen
    assert.equal(seen.method, 'POST')
    assert.equal(seen.headers['content-length'], '0')
    assert.equal(seen.body, '')
  })

  it('answers Expect: 100-continue and forwards the body without the Expect field', async () => {
    const seen = await within(3000, new Promise<Seen>((resolve, reject) => {
      const request = http.request(new URL('/expect', edge.url), {
        method: 'PUT',
        agent: false,
        headers: { expect: '100-continue', 'content-length': 5 },
      }, (res) => readAll(res).then((body) => resolve(JSON.parse(body.toString()) as Seen), reject))
      request.on('continue', () => request.end('hello'))
      request.on('error', reject)
    }), 'the expect-continue exchange')
    assert.equal(seen.body, 'hello')
    assert.equal(seen.headers.expect, undefined)
  })
})

describe('http proxy Expect: 100-continue from checkContinue', () => {
  it('sends 100 Continue only once an origin is connected', async () => {
    const origin = await echoOrigin()
    const edge = await startEdge([origin.url], {}, { checkContinue: true })
    const down = await startEdge([await refusedUrl()], {}, { checkContinue: true })
    const exchange = (base: URL) => within(3000, new Promise<{ continued: boolean; status: number; body: string }>((resolve, reject) => {
      let continued = false
      const request = http.request(new URL('/expect', base), {
        method: 'POST',
        agent: false,
        headers: { expect: '100-continue', 'content-length': 5 },
      }, (res) => readAll(res).then((body) => resolve({ continued, status: res.statusCode ?? 0, body: body.toString() }), reject))
      request.on('continue', () => { continued = true; request.end('hello') })
      request.on('error', reject)
    }), 'the checkContinue exchange')
    try {
      const up = await exchange(edge.url)
      assert.equal(up.continued, true)
      assert.equal((JSON.parse(up.body) as Seen).body, 'hello')
      const refused = await exchange(down.url)
      assert.equal(refused.continued, false)
      assert.equal(refused.status, 502)
    } finally {
      await edge.close()
      await down.close()
      await origin.close()
    }
  })
})
