import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startProbeOrigin, type ProbeOrigin } from '../../src/probe/origin/server.js'
import { runProbe } from '../../src/probe/runner.js'
import type { CheckResult, ProbeResult } from '../../src/probe/types.js'
import {
  capMessages,
  rewriteCloseCodes,
  startFrameProxy,
  startHeadRewriteProxy,
  startIdleDropProxy,
  type Proxy,
} from './broken-proxies.js'

function check(result: ProbeResult, id: string): CheckResult {
  const found = result.checks.find((item) => item.id === id)
  assert.ok(found, `check ${id} ran`)
  return found
}

describe('probe catches deliberately broken proxies', () => {
  let origin: ProbeOrigin
  const proxies: Proxy[] = []
  before(async () => {
    origin = await startProbeOrigin({})
  })
  after(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()))
    await origin.close()
  })
  async function proxy(start: Promise<Proxy>): Promise<Proxy> {
    const started = await start
    proxies.push(started)
    return started
  }

  test('a proxy that strips Sec-WebSocket-Protocol fails the subprotocol check, showing the origin got none', async () => {
    const stripper = await proxy(startHeadRewriteProxy(origin.url, (lines) => lines.filter((line) => !/^sec-websocket-protocol:/i.test(line))))
    const result = await runProbe(stripper.url, { only: ['handshake', 'subprotocol', 'echo'], maxSize: 65_536 })
    assert.equal(check(result, 'handshake').status, 'pass')
    assert.equal(check(result, 'echo').status, 'pass')
    const subprotocol = check(result, 'subprotocol')
    assert.equal(subprotocol.status, 'fail')
    assert.match(subprotocol.evidence, /^offered 'wedge-probe\.v2, wedge-probe\.v1'; handshake failed: Server sent no subprotocol; origin received none and selected none$/)
    assert.equal(result.ok, false)
  })

  test('the headers check passes a proxy that adds X-Forwarded-For and fails one that hides the client', async () => {
    const forwarding = await proxy(startHeadRewriteProxy(origin.url, (lines) => [...lines, 'X-Forwarded-For: 203.0.113.7']))
    const hiding = await proxy(startHeadRewriteProxy(origin.url, (lines) => lines))
    const good = check(await runProbe(forwarding.url, { only: ['headers'] }), 'headers')
    assert.equal(good.status, 'pass')
    assert.match(good.evidence, /^origin saw peer 127\.0\.0\.1:\d+; host: 127\.0\.0\.1:\d+; x-forwarded-for: 203\.0\.113\.7$/)
    const bad = check(await runProbe(hiding.url, { only: ['headers'] }), 'headers')
    assert.equal(bad.status, 'fail')
    assert.match(bad.evidence, /^origin saw peer 127\.0\.0\.1:\d+; host: 127\.0\.0\.1:\d+; no X-Forwarded-For, Forwarded or X-Real-IP: the origin cannot learn the client address$/)
  })

  test('a proxy that drops connections idle for 2 s fails the idle check with the measured timeout', async () => {
    const dropper = await proxy(startIdleDropProxy(origin.url, 2000))
    const result = await runProbe(dropper.url, { only: ['handshake', 'idle', 'latency'], budgetMs: 8000 })
    const idle = check(result, 'idle')
    assert.equal(idle.status, 'fail')
    const timeoutMs = idle.metrics!.timeoutMs as number
    assert.ok(timeoutMs >= 1900 && timeoutMs < 3500, `measured ${timeoutMs} ms`)
    assert.match(idle.evidence, /^silent connection closed after 2\.\d s with 1006 ''; origin saw 1006 '' after 2\.\d s; a connection pinged every 1\.0 s stayed open \d\.\d s: pings keep connections alive/)
    assert.match(idle.evidence, /shorter than the 30\.0 s minimum/)
    assert.equal(idle.metrics!.pingedSurvived, true)
    assert.ok(result.durationMs < 7000, 'the search stops once the timeout is bracketed, before the budget')
    assert.equal(check(result, 'latency').status, 'pass', 'active connections are unaffected')
  })

  test('a proxy that rewrites close codes fails the close check in both directions with what arrived', async () => {
    const rewriter = await proxy(startFrameProxy(origin.url, rewriteCloseCodes))
    const result = await runProbe(rewriter.url, { only: ['close', 'echo', 'ping'], maxSize: 65_536 })
    assert.equal(check(result, 'echo').status, 'pass')
    assert.equal(check(result, 'ping').status, 'pass')
    const close = check(result, 'close')
    assert.equal(close.status, 'fail')
    assert.match(close.evidence, /^origin sent 4002 'ciao from origin', received 1000 ''; sent 4001 'bye', origin received 1000 ''/)
    assert.equal(close.summary, 'origin→client, client→origin altered')
  })

  test('a proxy that caps messages at 64 KiB fails echo and big-message checks at 65537 B', async () => {
    const capper = await proxy(startFrameProxy(origin.url, capMessages(65_536)))
    const result = await runProbe(capper.url, { only: ['handshake', 'echo', 'fragments', 'big'], maxSize: 1024 ** 2 })
    const echo = check(result, 'echo')
    assert.equal(echo.status, 'fail')
    assert.equal(echo.evidence,
      "text intact up to 64 KiB; 65537 B connection closed 1009 'message too big'; " +
      "binary intact up to 64 KiB; 65537 B connection closed 1009 'message too big'")
    assert.equal(echo.summary, 'only ≤ 64 KiB')
    assert.equal(check(result, 'fragments').status, 'pass', '64 KiB in fragments is within the cap')
    const big = check(result, 'big')
    assert.equal(big.status, 'fail')
    assert.equal(big.evidence, "binary 1 MiB: connection closed 1009 'message too big'")
  })
})
