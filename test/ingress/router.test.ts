import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RoutingTable, normaliseHost } from '../../src/ingress/router.js'

interface Site {
  name: string
  hosts: string[]
  path_prefix?: string
}

const sites: Site[] = [
  { name: 'catch-all', hosts: ['*'] },
  { name: 'api', hosts: ['api.example.com', 'localhost'] },
  { name: 'api-ws', hosts: ['api.example.com'], path_prefix: '/ws' },
  { name: 'api-ws-admin', hosts: ['api.example.com'], path_prefix: '/ws/admin' },
  { name: 'tenants', hosts: ['*.example.com'] },
  { name: 'deep-tenants', hosts: ['*.eu.example.com'] },
  { name: 'catch-all-chat', hosts: ['*'], path_prefix: '/chat' },
]
const table = new RoutingTable(sites)
const route = (host: string | undefined, path: string): string | undefined => table.match(host, path)?.name

test('an exact host wins over wildcards and the catch-all', () => {
  assert.equal(route('api.example.com', '/'), 'api')
  assert.equal(route('localhost:8080', '/anything'), 'api')
})

test('host matching ignores case, the port and a trailing dot', () => {
  assert.equal(route('API.Example.COM:443', '/'), 'api')
  assert.equal(route('api.example.com.', '/'), 'api')
})

test('the longest path prefix wins, on segment boundaries only', () => {
  assert.equal(route('api.example.com', '/ws'), 'api-ws')
  assert.equal(route('api.example.com', '/ws/room/1'), 'api-ws')
  assert.equal(route('api.example.com', '/ws/admin/x'), 'api-ws-admin')
  assert.equal(route('api.example.com', '/wsx'), 'api', '"/ws" must not match "/wsx"')
})

test('the longest wildcard suffix wins and a wildcard never matches the bare domain', () => {
  assert.equal(route('a.example.com', '/'), 'tenants')
  assert.equal(route('x.eu.example.com', '/'), 'deep-tenants')
  assert.equal(route('example.com', '/'), 'catch-all')
})

test('unknown hosts and a missing Host fall to the catch-all, with its own prefixes', () => {
  assert.equal(route('other.test', '/'), 'catch-all')
  assert.equal(route(undefined, '/chat/room'), 'catch-all-chat')
  assert.equal(route('', '/'), 'catch-all')
})

test('a host entry whose prefixes do not match falls through to wildcards, then the catch-all', () => {
  const narrow = new RoutingTable<Site>([
    { name: 'only-ws', hosts: ['api.example.com'], path_prefix: '/ws' },
    { name: 'wild', hosts: ['*.example.com'] },
  ])
  assert.equal(narrow.match('api.example.com', '/ws/1')?.name, 'only-ws')
  assert.equal(narrow.match('api.example.com', '/other')?.name, 'wild')
  assert.equal(narrow.match('other.test', '/'), undefined)
})

test('IPv6 literals keep their brackets and lose the port', () => {
  assert.equal(normaliseHost('[::1]:8080'), '[::1]')
  assert.equal(normaliseHost('[::1]'), '[::1]')
})
