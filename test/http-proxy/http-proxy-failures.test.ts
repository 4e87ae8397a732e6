import assert from 'node:assert/strict'
import http from 'node:http'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { readAll, refusedUrl, send, startEdge, startOrigin, within } from './harness.js'

describe('http proxy origin failures', () => {
  it('retries a refused connection on the next origin, even for a POST with a body', async (t) => {
    const down = await refusedUrl()
    const origin = await startOrigin(async (req, res) => res.end(`got ${(await readAll(req)).toString()}`))
    const edge = await startEdge([down, origin.url])
    t.after(async () => { await edge.close(); await origin.close() })

    const response = await send(edge.url, { method: 'POST', body: 'payload', headers: { 'content-length': 7 } })
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'got payload')
    assert.deepEqual(edge.results, [
      { origin: down.origin, ok: false, reason: 'ECONNREFUSED' },
      { origin: origin.url.origin, ok: true, reason: undefined },
    ])
  })

  it('answers 502 naming the site but no origin address when every origin refuses', async (t) => {
    const first = await refusedUrl()
    const second = await refusedUrl()
    const edge = await startEdge([first, second])
    t.after(() => edge.close())

    const response = await send(edge.url, { path: '/anything' })
    const text = response.body.toString()
    assert.equal(response.status, 502)
    assert.equal(response.headers['x-wedge-error'], 'WEDGE_NO_HEALTHY_ORIGIN')
    assert.match(text, /^502 Bad Gateway: no origin could be reached for site "api" \(tried 2: ECONNREFUSED, ECONNREFUSED\)/)
    assert.ok(!text.includes('127.0.0.1') && !text.includes(String(first.port)), text)
    // The addresses go to the log instead.
    assert.match(JSON.stringify(edge.logged), new RegExp(`127\\.0\\.0\\.1:${first.port}`))
  })

  it('answers 503 without blaming the origin when the site agent is already closed', async (t) => {
    const origin = await startOrigin((_req, res) => res.end('ok'))
    const edge = await startEdge([origin.url])
    t.after(async () => { await edge.close(); await origin.close() })
    await edge.agent.close()
    const response = await send(edge.url)
    assert.equal(response.status, 503)
    assert.equal(response.headers['x-wedge-error'], 'WEDGE_SHUTTING_DOWN')
    assert.deepEqual(edge.results, [])
  })

  it('tries at most balance.attempts origins', async (t) => {
    const origins = [await refusedUrl(), await refusedUrl(), await refusedUrl()]
    const edge = await startEdge(origins, { balance: { attempts: 2 } })
    t.after(() => edge.close())
    const response = await send(edge.url)
    assert.equal(response.status, 502)
    assert.equal(edge.results.length, 2)
  })

  it('answers 504 when the origin sends no headers within timeouts.response', async (t) => {
    const origin = await startOrigin(() => { /* never answers */ })
    const edge = await startEdge([origin.url], { timeouts: { response: 300 } })
    t.after(async () => { await edge.close(); await origin.close() })

    const started = Date.now()
    const response = await within(5000, send(edge.url), 'the 504')
    assert.equal(response.status, 504)
    assert.equal(response.headers['x-wedge-error'], 'WEDGE_ORIGIN_TIMEOUT')
    assert.match(response.body.toString(), /^504 Gateway Timeout: the origin of site "api" sent no response headers within 300 ms/)
    assert.ok(Date.now() - started >= 250)
    assert.deepEqual(edge.results, [{ origin: origin.url.origin, ok: false, reason: 'response timeout' }])
  })

  it('does not count a slow upload against timeouts.response', async (t) => {
    const origin = await startOrigin(async (req, res) => res.end(String((await readAll(req)).length)))
    const edge = await startEdge([origin.url], { timeouts: { response: 300 } })
    t.after(async () => { await edge.close(); await origin.close() })

    const body = new Readable({ read() {} })
    const pending = send(edge.url, { method: 'POST', body, headers: { 'transfer-encoding': 'chunked' } })
    for (let i = 0; i < 6; i++) {
      body.push(Buffer.alloc(100))
      await new Promise((resolve) => setTimeout(resolve, 120))
    }
    body.push(null)
    const response = await within(5000, pending, 'the slow upload')
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), '600')
  })

  it('breaks the client response when the origin body stalls after headers', async (t) => {
    const origin = await startOrigin((_req, res) => {
      res.writeHead(200, { 'content-length': 100 })
      res.write('partial')
    })
    const edge = await startEdge([origin.url], { timeouts: { body: 300 } })
    t.after(async () => { await edge.close(); await origin.close() })

    const outcome = await within(5000, new Promise<{ status: number; error: string }>((resolve) => {
      http.get(edge.url, { agent: false }, (res) => {
        res.on('data', () => {})
        res.on('error', (error) => resolve({ status: res.statusCode ?? 0, error: error.message }))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, error: 'none' }))
      }).on('error', (error) => resolve({ status: 0, error: error.message }))
    }), 'the broken response')
    assert.equal(outcome.status, 200)
    assert.equal(outcome.error, 'aborted')
  })

  it('aborts the origin request when the client goes away before headers', async (t) => {
    let originClosed!: () => void
    const closed = new Promise<void>((resolve) => { originClosed = resolve })
    let arrived!: () => void
    const reached = new Promise<void>((resolve) => { arrived = resolve })
    const origin = await startOrigin((_req, res) => {
      res.on('close', () => originClosed())
      arrived()
    })
    const edge = await startEdge([origin.url])
    t.after(async () => { await edge.close(); await origin.close() })

    const request = http.get(edge.url, { agent: false })
    request.on('error', () => {})
    await within(3000, reached, 'the request at the origin')
    request.destroy()
    await within(3000, closed, 'the origin to see the abort')
  })

  it('aborts the origin request when the client goes away mid-response', async (t) => {
    let originClosed!: () => void
    const closed = new Promise<boolean>((resolve) => { originClosed = () => resolve(true) })
    const origin = await startOrigin((_req, res) => {
      res.on('close', () => originClosed())
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: one\n\n')
    })
    const edge = await startEdge([origin.url])
    t.after(async () => { await edge.close(); await origin.close() })

    await within(3000, new Promise<void>((resolve, reject) => {
      const request = http.get(edge.url, { agent: false }, (res) => {
        res.once('data', () => { request.destroy(); resolve() })
      })
      request.on('error', (error) => { if (!request.destroyed) reject(error) })
    }), 'the first event')
    assert.equal(await within(3000, closed, 'the origin to see the abort'), true)
  })
})
