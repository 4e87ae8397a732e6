import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { WebSocket } from 'ws'
import { runProbe } from '../../src/probe/runner.js'
import { startProbeOrigin, type ProbeOrigin } from '../../src/probe/origin/server.js'
import { CHECK_IDS } from '../../src/probe/checks/index.js'

function firstMessage(url: string, protocols: string[] = []): Promise<{ ws: WebSocket; data: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false })
    ws.once('message', (data) => resolve({ ws, data: data.toString() }))
    ws.once('error', reject)
  })
}

function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('unexpected-response', (request, response) => {
      request.destroy()
      resolve(response.statusCode ?? 0)
    })
    ws.once('open', () => {
      ws.close()
      resolve(101)
    })
    ws.once('error', reject)
  })
}

describe('probe against a probe-origin directly', () => {
  let origin: ProbeOrigin
  before(async () => {
    origin = await startProbeOrigin({})
  })
  after(() => origin.close())

  test('every check passes, echo included up to 16 MiB, and the idle search reports ≥ budget', async () => {
    const result = await runProbe(origin.url, { budgetMs: 3000, concurrency: 30 })
    const failed = result.checks.filter((check) => check.status !== 'pass').map((check) => `${check.id}: ${check.evidence}`)
    assert.deepEqual(failed, [])
    assert.deepEqual(result.checks.map((check) => check.id), CHECK_IDS)
    assert.equal(result.ok, true)
    const byId = new Map(result.checks.map((check) => [check.id, check]))
    assert.equal(byId.get('echo')!.metrics!.largestBinary, 16 * 1024 ** 2)
    assert.equal(byId.get('echo')!.metrics!.largestText, 16 * 1024 ** 2)
    assert.match(byId.get('idle')!.summary, /^≥ 3\.\d s$/)
    assert.equal(byId.get('idle')!.metrics!.timeoutMs, null)
    assert.match(byId.get('close')!.evidence, /origin sent 4002 'ciao from origin', received 4002 'ciao from origin'; sent 4001 'bye', origin received 4001 'bye'/)
    assert.match(byId.get('deflate')!.evidence, /^negotiated end to end/)
    assert.match(byId.get('headers')!.evidence, /^direct connection/)
    assert.deepEqual([...result.options.required].sort(), ['close', 'echo', 'handshake', 'ping', 'subprotocol'])
  })

  test('--only selects checks and --skip removes them, in report order', async () => {
    const only = await runProbe(origin.url, { only: ['close', 'handshake'] })
    assert.deepEqual(only.checks.map((check) => check.id), ['handshake', 'close'])
    const skipped = await runProbe(origin.url, { only: ['handshake', 'ping', 'close'], skip: ['ping'] })
    assert.deepEqual(skipped.checks.map((check) => check.id), ['handshake', 'close'])
  })

  test('the idle search is n/a when the budget is under a second', async () => {
    const result = await runProbe(origin.url, { only: ['idle'], budgetMs: 0 })
    assert.equal(result.checks[0]!.status, 'n/a')
    assert.match(result.checks[0]!.evidence, /idle search not run/)
    assert.equal(result.ok, true)
  })

  test('a failed handshake fails the rest without running them', async () => {
    const result = await runProbe(`${origin.url}/no-such-endpoint-prefix/zzz`, { only: ['handshake', 'echo'] })
    assert.equal(result.checks.length, 2)
    assert.equal(result.ok, true, 'the URL prefix is tolerated: endpoints match the last path segment')
    const refused = await runProbe('ws://127.0.0.1:1/', { only: ['handshake', 'echo'] })
    assert.equal(refused.ok, false)
    assert.match(refused.checks[0]!.evidence, /ECONNREFUSED/)
    assert.equal(refused.checks[1]!.evidence, 'not run: the handshake failed')
  })

  test('the origin reports the handshake on /info and echoes the first offered subprotocol', async () => {
    const { ws, data } = await firstMessage(`${origin.url}/base/info?x=1`, ['b', 'a'])
    ws.close()
    const info = JSON.parse(data)
    assert.equal(info.url, '/base/info?x=1')
    assert.deepEqual(info.offeredProtocols, ['b', 'a'])
    assert.equal(info.selectedProtocol, 'b')
    assert.ok(info.headers.some(([name]: [string]) => name.toLowerCase() === 'host'))
  })

  test('the origin refuses bad parameters with 400 and unknown endpoints with 404', async () => {
    assert.equal(await handshakeStatus(`${origin.url}/close?code=1005`), 400)
    assert.equal(await handshakeStatus(`${origin.url}/tick?every=abc`), 400)
    assert.equal(await handshakeStatus(`${origin.url}/nothing-here`), 404)
    const health = await fetch(`${origin.url.replace('ws:', 'http:')}/healthz`)
    assert.equal(health.status, 200)
    assert.equal((await health.json()).ok, true)
    const plain = await fetch(`${origin.url.replace('ws:', 'http:')}/echo`)
    assert.equal(plain.status, 426)
  })

  test('an origin told its subprotocols selects only from that list', async () => {
    const picky = await startProbeOrigin({ protocols: ['wedge-probe.v1'] })
    try {
      const { ws, data } = await firstMessage(`${picky.url}/info`, ['other', 'wedge-probe.v1'])
      ws.close()
      assert.equal(JSON.parse(data).selectedProtocol, 'wedge-probe.v1')
    } finally {
      await picky.close()
    }
  })
})
