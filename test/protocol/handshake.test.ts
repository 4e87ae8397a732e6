import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, test } from 'node:test'
import WebSocket from 'ws'
import {
  computeAcceptKey,
  extensionRsvMask,
  parseExtensions,
  parseHeaderList,
  validateUpgradeRequest,
} from '../../src/protocol/handshake.js'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==' // RFC 6455 §1.3
const valid: IncomingHttpHeaders = {
  host: 'example.com',
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': KEY,
  'sec-websocket-version': '13',
}

function codeOf(method: string, headers: IncomingHttpHeaders): string {
  const result = validateUpgradeRequest(method, headers)
  return result.ok ? 'ok' : result.code
}

describe('validateUpgradeRequest', () => {
  test('accepts a valid RFC 6455 §1.3 request', () => {
    assert.deepEqual(validateUpgradeRequest('GET', valid), { ok: true, key: KEY, version: 13 })
  })

  test('refuses any method but GET', () => {
    assert.equal(codeOf('POST', valid), 'WEDGE_BAD_UPGRADE_METHOD')
    assert.equal(codeOf('get', valid), 'WEDGE_BAD_UPGRADE_METHOD')
  })

  test('finds websocket in the Upgrade list, case-insensitively', () => {
    for (const upgrade of ['WebSocket', 'h2c, websocket', ' websocket/13 ']) assert.equal(codeOf('GET', { ...valid, upgrade }), 'ok', upgrade)
    for (const upgrade of [undefined, '', 'h2c', 'websockets']) {
      assert.equal(codeOf('GET', { ...valid, upgrade }), 'WEDGE_BAD_UPGRADE_HEADER', String(upgrade))
    }
  })

  test('finds upgrade in the Connection list (RFC 9110 §5.6.1)', () => {
    assert.equal(codeOf('GET', { ...valid, connection: 'keep-alive, Upgrade' }), 'ok')
    assert.equal(codeOf('GET', { ...valid, connection: 'UPGRADE' }), 'ok')
    for (const connection of [undefined, 'keep-alive', 'upgraded', 'keep-alive upgrade']) {
      assert.equal(codeOf('GET', { ...valid, connection }), 'WEDGE_BAD_CONNECTION_HEADER', String(connection))
    }
  })

  test('refuses other versions with 426 advertising version 13 (RFC 6455 §4.4)', () => {
    for (const version of [undefined, '8', '13, 8', '']) {
      const result = validateUpgradeRequest('GET', { ...valid, 'sec-websocket-version': version })
      assert.equal(result.ok, false)
      assert.ok(!result.ok)
      assert.equal(result.code, 'WEDGE_BAD_WEBSOCKET_VERSION', String(version))
      assert.deepEqual(result.headers, { 'Sec-WebSocket-Version': '13' })
    }
  })

  test('requires a key that decodes to 16 bytes', () => {
    const of = (bytes: number): string => Buffer.alloc(bytes, 1).toString('base64')
    for (const key of [undefined, '', 'abc', of(15), of(17), KEY.slice(0, -1), `${KEY}, ${KEY}`, 'dGhlIHNhbXBsZSBub25jZQ!=']) {
      assert.equal(codeOf('GET', { ...valid, 'sec-websocket-key': key }), 'WEDGE_BAD_WEBSOCKET_KEY', String(key))
    }
    assert.equal(codeOf('GET', { ...valid, 'sec-websocket-key': of(16) }), 'ok')
  })
})

describe('handshake helpers', () => {
  test('computes the RFC 6455 §1.3 accept key', () => {
    assert.equal(computeAcceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
  })

  test('parses list headers, repeated lines included', () => {
    assert.deepEqual(parseHeaderList(' a, ,B ,c,, '), ['a', 'B', 'c'])
    assert.deepEqual(parseHeaderList(['keep-alive', 'Upgrade']), ['keep-alive', 'Upgrade'])
    assert.deepEqual(parseHeaderList(undefined), [])
  })

  test('parses Sec-WebSocket-Extensions with parameters and quoted values', () => {
    assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits, X-Foo; a="b,c;\\"d"; N = 1 ,'), [
      { name: 'permessage-deflate', params: { client_max_window_bits: true } },
      { name: 'x-foo', params: { a: 'b,c;"d', n: '1' } },
    ])
    assert.deepEqual(parseExtensions(''), [])
    for (const bad of ['foo;', 'foo; a=', 'foo bar', 'foo; a="x', '; a']) assert.throws(() => parseExtensions(bad), SyntaxError, bad)
  })

  test('maps the origin-accepted extensions to allowed RSV bits', () => {
    assert.equal(extensionRsvMask(undefined), 0)
    assert.equal(extensionRsvMask(' '), 0)
    assert.equal(extensionRsvMask('permessage-deflate; server_no_context_takeover'), 0x40)
    assert.equal(extensionRsvMask('x-webkit-deflate-frame'), 0x70)
    assert.equal(extensionRsvMask('permessage-deflate, x-other'), 0x70)
    assert.equal(extensionRsvMask('permessage-deflate; ='), 0x70)
  })
})

describe('handshake with a real ws client', () => {
  const servers: Server[] = []
  after(() => {
    for (const server of servers) server.close()
  })

  async function listen(): Promise<string> {
    const server = createServer()
    servers.push(server)
    server.on('upgrade', (request, socket) => {
      const result = validateUpgradeRequest(request.method ?? '', request.headers)
      if (!result.ok) {
        const extra = Object.entries(result.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('')
        socket.end(`HTTP/1.1 426 Upgrade Required\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`)
        return
      }
      socket.end(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${computeAcceptKey(result.key)}\r\n\r\n`,
      )
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`
  }

  test('ws accepts our Sec-WebSocket-Accept', async () => {
    const client = new WebSocket(await listen())
    const opened = once(client, 'open')
    await Promise.race([opened, once(client, 'error').then(([error]) => Promise.reject(error))])
    client.terminate()
  })

  test('a client speaking version 8 gets 426 with Sec-WebSocket-Version: 13', async () => {
    const client = new WebSocket(await listen(), { protocolVersion: 8 })
    const [, response] = (await once(client, 'unexpected-response')) as [unknown, { statusCode: number; headers: IncomingHttpHeaders; destroy(): void }]
    assert.equal(response.statusCode, 426)
    assert.equal(response.headers['sec-websocket-version'], '13')
    response.destroy()
    client.on('error', () => {}) // terminating a CONNECTING client reports an error by design
    client.terminate()
  })
})
