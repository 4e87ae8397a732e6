import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type WebSocket from 'ws'
import { startEdge, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage, closed } from '../helpers/ws-client.js'
import { computeAcceptKey } from '../../src/protocol/handshake.js'
import { GOOD_KEY, headComplete, httpRequest, rawExchange, upgradeHead, type RawResponse } from './raw-http.js'
import { refusal } from './clients.js'

/**
 * Malformed opening handshakes (RFC 6455 §4.2.1) sent on raw sockets are refused with the
 * catalogue status, an `x-wedge-error` code and a body naming the rule, while a good
 * connection on the same edge keeps relaying.
 */
describe('handshake validation at the edge', { timeout: 50_000 }, () => {
  let origin: TestOrigin
  let running: RunningEdge
  let survivor: WebSocket

  before(async () => {
    origin = await startOrigin({ name: 'app-origin' })
    running = await startEdge({
      log: { level: 'silent' },
      sites: [
        { name: 'app', hosts: ['app.test'], origins: [origin.url] },
        { name: 'plain', hosts: ['plain.test'], origins: [origin.url], websocket: false },
      ],
    })
    survivor = await connect(`${running.wsUrl}/live`, undefined, { headers: { host: 'app.test' } })
    survivor.send('before')
    assert.equal((await nextMessage(survivor)).data.toString(), 'before')
  })

  after(async () => {
    survivor?.terminate()
    await running?.stop()
    await origin?.close()
  })

  const send = (data: string): Promise<RawResponse> => rawExchange(running.port, data)

  function assertRefused(response: RawResponse, status: number, code: string, bodyMentions: string): void {
    assert.equal(response.status, status, response.raw)
    assert.equal(response.headers['x-wedge-error'], code)
    assert.ok(response.body.includes(bodyMentions), `body ${JSON.stringify(response.body)} should mention ${JSON.stringify(bodyMentions)}`)
  }

  test('a POST upgrade is refused with 400 naming the GET rule', async () => {
    const response = await send(upgradeHead('app.test', '/', { 'Content-Length': '0' }, 'POST'))
    assertRefused(response, 400, 'WEDGE_BAD_UPGRADE_METHOD', 'requires GET')
    assert.ok(response.body.includes('POST'), response.body)
  })

  test('an Upgrade header without the websocket token is refused with 400', async () => {
    const response = await send(upgradeHead('app.test', '/', { Upgrade: 'h2c' }))
    assertRefused(response, 400, 'WEDGE_BAD_UPGRADE_HEADER', 'Upgrade header must contain "websocket"')
    assert.ok(response.body.includes('h2c'), response.body)
  })

  test('a handshake with no Upgrade header is refused with 400', {
  }, async () => {
    const response = await send(upgradeHead('app.test', '/', { Upgrade: undefined }))
    assertRefused(response, 400, 'WEDGE_BAD_UPGRADE_HEADER', 'Upgrade header must contain "websocket"')
  })

  test('a handshake whose Connection header lacks "upgrade" is refused with 400', {
  }, async () => {
    const response = await send(upgradeHead('app.test', '/', { Connection: 'keep-alive' }))
    assertRefused(response, 400, 'WEDGE_BAD_CONNECTION_HEADER', 'Connection header must contain "upgrade"')
  })

  test('a Sec-WebSocket-Key that is not 16 bytes in base64 is refused with 400', async () => {
    for (const key of ['c2hvcnQ=', 'not base64 at all!!!!!==', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==']) {
      const response = await send(upgradeHead('app.test', '/', { 'Sec-WebSocket-Key': key }))
      assertRefused(response, 400, 'WEDGE_BAD_WEBSOCKET_KEY', 'Sec-WebSocket-Key must be 16 bytes in base64')
    }
  })

  test('a missing Sec-WebSocket-Key is refused with 400', async () => {
    const response = await send(upgradeHead('app.test', '/', { 'Sec-WebSocket-Key': undefined }))
    assertRefused(response, 400, 'WEDGE_BAD_WEBSOCKET_KEY', 'Sec-WebSocket-Key')
  })

  test('version 8 is refused with 426 advertising Sec-WebSocket-Version: 13 (RFC 6455 §4.4)', async () => {
    const response = await send(upgradeHead('app.test', '/', { 'Sec-WebSocket-Version': '8' }))
    assertRefused(response, 426, 'WEDGE_BAD_WEBSOCKET_VERSION', 'Sec-WebSocket-Version must be 13')
    assert.equal(response.headers['sec-websocket-version'], '13')
  })

  test('no malformed handshake reached the origin', () => {
    // Only the survivor's handshake got through.
    assert.equal(origin.handshakes.length, 1)
    assert.equal(origin.handshakes[0]!.url, '/live')
  })

  test('"Connection: keep-alive, Upgrade" is accepted with a correct Sec-WebSocket-Accept', async () => {
    const response = await rawExchange(running.port, upgradeHead('app.test', '/multi', { Connection: 'keep-alive, Upgrade' }), { until: headComplete })
    assert.equal(response.status, 101, response.raw)
    assert.equal(response.headers['sec-websocket-accept'], computeAcceptKey(GOOD_KEY))
    assert.equal(response.headers.upgrade?.toLowerCase(), 'websocket')
    assert.equal(origin.handshakes.at(-1)?.url, '/multi')
  })

  test('an unknown Host with no catch-all site is refused with 404', async () => {
    const response = await send(upgradeHead('elsewhere.test'))
    assertRefused(response, 404, 'WEDGE_NO_SITE', 'No site matches')
    assert.ok(response.body.includes('elsewhere.test'), response.body)
  })

  test('a site with websocket: false refuses upgrades with 426', async () => {
    const response = await send(upgradeHead('plain.test'))
    assertRefused(response, 426, 'WEDGE_WEBSOCKET_DISABLED', 'WebSockets are disabled')
    const rejected = await refusal(connect(`${running.wsUrl}/`, undefined, { headers: { host: 'plain.test' } }))
    assert.equal(rejected.status, 426)
  })

  test('a site with websocket: false still proxies plain HTTP GET to its origin', async () => {
    const requestsBefore = origin.requests
    const { status, body } = await httpRequest(running.port, { path: '/page', headers: { host: 'plain.test' } })
    assert.equal(status, 200)
    assert.equal(body, 'hello from app-origin /page')
    assert.equal(origin.requests, requestsBefore + 1)
  })

  test('each refusal is counted by its code', () => {
    const { refusals } = running.edge.counters.snapshot()
    assert.equal(refusals.WEDGE_BAD_UPGRADE_METHOD, 1)
    assert.ok((refusals.WEDGE_BAD_UPGRADE_HEADER ?? 0) >= 1)
    assert.equal(refusals.WEDGE_BAD_WEBSOCKET_KEY, 4)
    assert.equal(refusals.WEDGE_BAD_WEBSOCKET_VERSION, 1)
    assert.equal(refusals.WEDGE_NO_SITE, 1)
    assert.equal(refusals.WEDGE_WEBSOCKET_DISABLED, 2)
  })

  test('the connection opened before the bad handshakes still echoes', async () => {
    assert.equal(survivor.readyState, survivor.OPEN)
    survivor.send('after')
    assert.equal((await nextMessage(survivor)).data.toString(), 'after')
    const done = closed(survivor)
    survivor.close(1000, 'done')
    assert.equal((await done).code, 1000)
  })
})
