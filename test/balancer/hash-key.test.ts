import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hashKeyOf } from '../../src/proxy/balancer/hash-key.js'

test('path is the request path without its query', () => {
  assert.equal(hashKeyOf({ url: '/chat/room-1?token=abc', headers: {} }, 'path'), '/chat/room-1')
  assert.equal(hashKeyOf({ url: '/chat/room-1', headers: {} }, 'path'), '/chat/room-1')
  assert.equal(hashKeyOf({ url: 'http://edge.example/chat/room-1?x=1', headers: {} }, 'path'), '/chat/room-1')
  assert.equal(hashKeyOf({ headers: {} }, 'path'), undefined)
})

test('query:NAME is the first value of that query parameter, decoded', () => {
  const url = '/ws?room=a%20b&room=second&empty='
  assert.equal(hashKeyOf({ url, headers: {} }, 'query:room'), 'a b')
  assert.equal(hashKeyOf({ url, headers: {} }, 'query:missing'), undefined)
  assert.equal(hashKeyOf({ url, headers: {} }, 'query:empty'), undefined)
  assert.equal(hashKeyOf({ url: '/ws', headers: {} }, 'query:room'), undefined)
})

test('header:NAME reads the header case-insensitively', () => {
  const headers = { 'x-tenant': 'acme', 'x-multi': ['one', 'two'] }
  assert.equal(hashKeyOf({ url: '/', headers }, 'header:X-Tenant'), 'acme')
  assert.equal(hashKeyOf({ url: '/', headers }, 'header:x-multi'), 'one, two')
  assert.equal(hashKeyOf({ url: '/', headers }, 'header:X-Other'), undefined)
})

test('cookie:NAME reads that cookie from the Cookie header', () => {
  const headers = { cookie: 'theme=dark; session=s3cr3t; sessionid=other; quoted="q v"' }
  assert.equal(hashKeyOf({ url: '/', headers }, 'cookie:session'), 's3cr3t')
  assert.equal(hashKeyOf({ url: '/', headers }, 'cookie:theme'), 'dark')
  assert.equal(hashKeyOf({ url: '/', headers }, 'cookie:quoted'), 'q v')
  assert.equal(hashKeyOf({ url: '/', headers }, 'cookie:missing'), undefined)
  assert.equal(hashKeyOf({ url: '/', headers: {} }, 'cookie:session'), undefined)
})
