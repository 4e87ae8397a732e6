import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  HOP_BY_HOP,
  buildOriginRequestHeaders,
  filterResponseHeaders,
  filterWebSocket101Headers,
  forwardedElement,
  type ForwardContext,
} from '../../src/proxy/forwarded-headers.js'

const context: ForwardContext = {
  clientIp: '203.0.113.7',
  proto: 'https',
  host: 'app.example',
  preserveHost: true,
  originHost: '10.0.0.5:9000',
  websocket: false,
}

describe('buildOriginRequestHeaders', () => {
  it('drops every RFC 9110 hop-by-hop field and the fields the Connection header names', () => {
    const incoming = Object.fromEntries([...HOP_BY_HOP].map((name) => [name, 'x']))
    const out = buildOriginRequestHeaders({ ...incoming, connection: 'keep-alive, X-Private', 'x-private': 'secret', accept: 'text/plain' }, context)
    for (const name of HOP_BY_HOP) assert.equal(out[name], undefined, name)
    assert.equal(out['x-private'], undefined)
    assert.equal(out.accept, 'text/plain')
  })

  it('sends the client Host when preserving it and the origin host:port otherwise', () => {
    assert.equal(buildOriginRequestHeaders({ host: 'app.example' }, context).host, 'app.example')
    assert.equal(buildOriginRequestHeaders({ host: 'app.example' }, { ...context, preserveHost: false }).host, '10.0.0.5:9000')
    assert.equal(buildOriginRequestHeaders({}, { ...context, host: undefined }).host, '10.0.0.5:9000')
  })

  it('appends the client to X-Forwarded-For and Forwarded and sets proto and host', () => {
    const out = buildOriginRequestHeaders({ 'x-forwarded-for': '198.51.100.1', forwarded: 'for=198.51.100.1', 'x-forwarded-proto': 'http' }, context)
    assert.equal(out['x-forwarded-for'], '198.51.100.1, 203.0.113.7')
    assert.equal(out['x-forwarded-proto'], 'https')
    assert.equal(out['x-forwarded-host'], 'app.example')
    assert.equal(out.forwarded, 'for=198.51.100.1, for=203.0.113.7;proto=https;host=app.example')
  })

  it('quotes IPv6 clients and hosts with a port in Forwarded (RFC 7239 §6)', () => {
    assert.equal(forwardedElement('2001:db8::1', 'http', 'app.example:8080'), 'for="[2001:db8::1]";proto=http;host="app.example:8080"')
    const out = buildOriginRequestHeaders({}, { ...context, clientIp: '::ffff:192.0.2.4', host: undefined })
    assert.equal(out.forwarded, 'for=192.0.2.4;proto=https')
    assert.equal(out['x-forwarded-for'], '192.0.2.4')
    assert.equal(out['x-forwarded-host'], undefined)
  })

  it('keeps the WebSocket handshake fields untouched for a websocket request', () => {
    const incoming = {
      connection: 'keep-alive, Upgrade',
      upgrade: 'WebSocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      'sec-websocket-protocol': 'chat, superchat',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    }
    const out = buildOriginRequestHeaders(incoming, { ...context, websocket: true })
    assert.equal(out.connection, 'Upgrade')
    assert.equal(out.upgrade, 'websocket')
    for (const name of Object.keys(incoming).filter((key) => key.startsWith('sec-'))) {
      assert.equal(out[name], incoming[name as keyof typeof incoming], name)
    }
    const plain = buildOriginRequestHeaders(incoming, context)
    assert.equal(plain.connection, undefined)
    assert.equal(plain.upgrade, undefined)
  })
})

describe('response header filters', () => {
  it('filterResponseHeaders drops hop-by-hop fields and keeps every Set-Cookie', () => {
    const out = filterResponseHeaders({
      connection: 'close, X-Debug',
      'x-debug': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/plain',
    })
    assert.deepEqual(out, { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' })
  })

  it('filterWebSocket101Headers keeps Upgrade, Connection and Sec-WebSocket-* as sent', () => {
    const out = filterWebSocket101Headers({
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
      'sec-websocket-protocol': 'chat',
      'keep-alive': 'timeout=5',
      'x-app': 'yes',
    })
    assert.deepEqual(out, {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
      'sec-websocket-protocol': 'chat',
      'x-app': 'yes',
    })
  })
})
