import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import http from 'node:http'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { readAll, send, startEdge, startOrigin, within, type TestEdge, type TestOrigin } from './harness.js'

const MiB = 1024 * 1024

/** Yields `total` bytes of a repeating pattern in 64 KiB pieces, never holding them all. */
function patternBody(total: number): Readable {
  const piece = Buffer.alloc(64 * 1024, 'wedge-')
  let left = total
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null)
      const size = Math.min(piece.length, left)
      left -= size
      this.push(piece.subarray(0, size))
    },
  })
}

/**
 * Waits until a byte counter stops growing (two quiet polls) or `maxMs` passes, and returns
 * it. Where backpressure holds, the counter stalls at the size of the buffers in between;
 * where it is missing, it runs on to the whole body.
 */
async function plateau(count: () => number, maxMs = 5000): Promise<number> {
  const deadline = Date.now() + maxMs
  let last = -1
  let quiet = 0
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 150))
    const now = count()
    quiet = now === last ? quiet + 1 : 0
    last = now
  }
  return last
}

function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256')
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex'))).on('error', reject)
  })
}

describe('http proxy streaming', () => {
  let origin: TestOrigin
  let edge: TestEdge
  /** Hooks a test sets to control the origin for its own paths. */
  const routes = new Map<string, http.RequestListener>()

  before(async () => {
    origin = await startOrigin((req, res) => {
      const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname)
      if (route) return void route(req, res)
      res.writeHead(404).end()
    })
    edge = await startEdge([origin.url])
  })
  after(async () => {
    await edge.close()
    await origin.close()
  })

  it('streams a 20 MiB POST body to the origin intact', async () => {
    routes.set('/upload', async (req, res) => {
      const digest = await sha256(req)
      res.end(JSON.stringify({ digest, length: Number(req.headers['content-length'] ?? -1) }))
    })
    const expected = await sha256(patternBody(20 * MiB))
    const response = await send(edge.url, { method: 'POST', path: '/upload', body: patternBody(20 * MiB), headers: { 'content-length': 20 * MiB } })
    assert.equal(response.status, 200)
    assert.deepEqual(JSON.parse(response.body.toString()), { digest: expected, length: 20 * MiB })
  })

  it('delivers the first upload bytes to the origin before the client has sent the rest', async () => {
    let firstSeen!: () => void
    const seen = new Promise<void>((resolve) => { firstSeen = resolve })
    routes.set('/early', async (req, res) => {
      req.once('data', () => firstSeen())
      const body = await readAll(req)
      res.end(String(body.length))
    })
    const body = new Readable({ read() {} })
    const pending = send(edge.url, { method: 'POST', path: '/early', body, headers: { 'transfer-encoding': 'chunked' } })
    body.push(Buffer.alloc(1000, 1))
    // A proxy that buffered whole bodies would wait for the end and this would time out.
    await within(3000, seen, 'the first chunk at the origin')
    body.push(Buffer.alloc(500, 2))
    body.push(null)
    const response = await pending
    assert.equal(response.body.toString(), '1500')
  })

  it('relays a slow chunked response piece by piece before it ends', async () => {
    let clientGotFirst!: () => void
    const firstArrived = new Promise<void>((resolve) => { clientGotFirst = resolve })
    routes.set('/slow', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first;')
      await firstArrived
      res.end('second')
    })
    const body = await within(3000, new Promise<string>((resolve, reject) => {
      http.get(new URL('/slow', edge.url), { agent: false }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
          if (text === 'first;') clientGotFirst()
        })
        res.on('end', () => resolve(text)).on('error', reject)
      }).on('error', reject)
    }), 'the slow response')
    assert.equal(body, 'first;second')
  })

  it('stops reading the client upload while the origin does not read (backpressure)', async () => {
    let startReading!: () => void
    const reading = new Promise<void>((resolve) => { startReading = resolve })
    routes.set('/stalled-reader', async (req, res) => {
      await reading
      const body = await readAll(req)
      res.end(String(body.length))
    })
    const total = 64 * MiB
    let pulled = 0
    const source = patternBody(total)
    source.on('data', (chunk: Buffer) => { pulled += chunk.length })
    const pending = send(edge.url, { method: 'POST', path: '/stalled-reader', body: source, headers: { 'content-length': total } })
    const pulledWhileStalled = await plateau(() => pulled)
    startReading()
    const response = await within(20_000, pending, 'the upload to finish')
    assert.equal(response.body.toString(), String(total))
    assert.ok(pulledWhileStalled < total / 2, `client pushed ${pulledWhileStalled} bytes while the origin read nothing`)
  })

  it('stops reading the origin response while the client does not read (backpressure)', async () => {
    const total = 64 * MiB
    let written = 0
    routes.set('/big-download', (_req, res) => {
      res.writeHead(200, { 'content-length': total })
      const source = patternBody(total)
      source.on('data', (chunk: Buffer) => { written += chunk.length })
      source.pipe(res)
    })
    const received = await within(20_000, new Promise<{ early: number; length: number }>((resolve, reject) => {
      http.get(new URL('/big-download', edge.url), { agent: false }, (res) => {
        res.pause()
        void plateau(() => written).then((early) => {
          let length = 0
          res.on('data', (chunk: Buffer) => { length += chunk.length })
          res.on('end', () => resolve({ early, length })).on('error', reject)
          res.resume()
        })
      }).on('error', reject)
    }), 'the download')
    assert.equal(received.length, total)
    assert.ok(received.early < total / 2, `origin wrote ${received.early} bytes while the client read nothing`)
  })

  it('passes status, several Set-Cookie fields and trailers through', async () => {
    routes.set('/cookies', (_req, res) => {
      res.writeHead(201, 'Made It', { 'set-cookie': ['a=1; Path=/', 'b=2; HttpOnly'], 'x-app': 'yes', trailer: 'x-checksum' })
      res.write('body')
      res.addTrailers({ 'x-checksum': 'abc123' })
      res.end()
    })
    const response = await send(edge.url, { path: '/cookies' })
    assert.equal(response.status, 201)
    assert.deepEqual(response.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly'])
    assert.equal(response.headers['x-app'], 'yes')
    assert.equal(response.body.toString(), 'body')
    assert.equal(response.trailers['x-checksum'], 'abc123')
  })

  it('answers HEAD with the origin headers and no body', async () => {
    routes.set('/head', (req, res) => {
      res.writeHead(200, { 'content-length': 1234, 'x-method': req.method })
      res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(1234))
    })
    const response = await send(edge.url, { method: 'HEAD', path: '/head' })
    assert.equal(response.status, 200)
    assert.equal(response.headers['content-length'], '1234')
    assert.equal(response.headers['x-method'], 'HEAD')
    assert.equal(response.body.length, 0)
  })

  it('reuses origin connections across sequential requests (keep-alive)', async () => {
    routes.set('/ping', (_req, res) => res.end('pong'))
    const before = origin.connections
    for (let i = 0; i < 10; i++) {
      const response = await send(edge.url, { path: '/ping' })
      assert.equal(response.body.toString(), 'pong')
    }
    assert.ok(origin.connections - before <= 2, `origin saw ${origin.connections - before} new connections for 10 requests`)
  })
})
