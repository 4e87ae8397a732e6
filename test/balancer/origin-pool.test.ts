import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OriginPool } from '../../src/proxy/balancer/origin-pool.js'
import type { Origin } from '../../src/proxy/balancer/origin.js'
import { recordingLogger, siteWith } from './fixtures.js'

const A = 'http://127.0.0.1:9101'
const B = 'http://127.0.0.1:9102'
const C = 'http://127.0.0.1:9103'
const request = { url: '/', headers: {} }

function poolOf(fields: Record<string, unknown>, now?: () => number) {
  const { logger, entries } = recordingLogger()
  const pool = new OriginPool(siteWith(fields), { logger, now })
  const byPort = (port: number) => pool.origins.find((origin) => origin.url.port === String(port))!
  return { pool, entries, byPort }
}

const ports = (picks: Array<Origin | undefined>) => picks.map((origin) => origin?.url.port ?? '-').join(' ')

test('round robin follows the smooth weighted order through the pool', () => {
  const { pool } = poolOf({ origins: [{ url: A, weight: 5 }, B, C] })
  assert.equal(ports(Array.from({ length: 7 }, () => pool.pick(request))), '9101 9101 9102 9101 9103 9101 9101')
})

test('pick skips tried origins and answers undefined when all were tried', () => {
  const { pool, byPort } = poolOf({ origins: [A, B] })
  const tried = new Set([byPort(9101)])
  assert.equal(pool.pick(request, tried), byPort(9102))
  assert.equal(pool.pick(request, tried), byPort(9102))
  tried.add(byPort(9102))
  assert.equal(pool.pick(request, tried), undefined)
})

test('least connections picks the fewest in flight per unit of weight', () => {
  const { pool, byPort } = poolOf({ origins: [A, { url: B, weight: 2 }, C], balance: { policy: 'least_connections' } })
  const [a, b, c] = [byPort(9101), byPort(9102), byPort(9103)]
  pool.acquire(a); pool.acquire(b); pool.acquire(b); pool.acquire(b)
  // a: 1/1, b: 3/2, c: 0/1.
  assert.equal(pool.pick(request), c)
  pool.acquire(c); pool.acquire(c)
  // a: 1, b: 1.5, c: 2.
  assert.equal(pool.pick(request), a)
  pool.release(b)
  // a: 1/1 and b: 2/2 tie: round robin between them, c stays out.
  const picks = Array.from({ length: 4 }, () => pool.pick(request))
  assert.ok(picks.every((origin) => origin === a || origin === b), ports(picks))
  assert.ok(picks.includes(a) && picks.includes(b), ports(picks))
})

test('an origin at max_connections is not picked until one is released', () => {
  const { pool, byPort } = poolOf({ origins: [{ url: A, max_connections: 2 }, { url: B, max_connections: 1 }] })
  const [a, b] = [byPort(9101), byPort(9102)]
  const taken = Array.from({ length: 3 }, () => {
    const origin = pool.pick(request)!
    pool.acquire(origin)
    return origin
  })
  assert.deepEqual(taken.filter((origin) => origin === a).length, 2)
  assert.deepEqual(taken.filter((origin) => origin === b).length, 1)
  assert.equal(a.available, false)
  assert.equal(pool.pick(request), undefined)
  pool.release(b)
  assert.equal(pool.pick(request), b)
})

test('hash policy sends one key to one origin and falls over to the next while it is out', () => {
  const { pool } = poolOf({ origins: [A, B, C], balance: { policy: 'hash', hash_on: 'header:X-Room' } })
  const forRoom = (room: string) => ({ url: '/', headers: { 'x-room': room } })
  const owner = pool.pick(forRoom('lobby'))!
  for (let index = 0; index < 10; index++) assert.equal(pool.pick(forRoom('lobby')), owner)
  const next = pool.pick(forRoom('lobby'), new Set([owner]))!
  assert.notEqual(next, owner)
  owner.maxConnections = 1
  pool.acquire(owner)
  assert.equal(pool.pick(forRoom('lobby')), next)
  pool.release(owner)
  assert.equal(pool.pick(forRoom('lobby')), owner)
})

test('hash policy without a key in the request falls back to round robin', () => {
  const { pool } = poolOf({ origins: [A, B, C], balance: { policy: 'hash', hash_on: 'cookie:session' } })
  assert.equal(ports(Array.from({ length: 3 }, () => pool.pick({ url: '/', headers: {} }))), '9101 9102 9103')
})

test('passive failures mark an origin down for the cooldown, then one success brings it back', () => {
  let now = 1_000_000
  const { pool, entries, byPort } = poolOf({ origins: [A, B], passive_health: { failures: 3, cooldown: '10s' } }, () => now)
  const a = byPort(9101)
  pool.reportFailure(a, 'ECONNREFUSED')
  pool.reportFailure(a, 'ECONNREFUSED')
  assert.equal(a.healthy, true, 'two failures are below the threshold')
  pool.reportFailure(a, 'ECONNREFUSED')
  assert.equal(a.healthy, false)
  assert.equal(a.state().consecutiveFailures, 3)
  assert.equal(ports(Array.from({ length: 3 }, () => pool.pick(request))), '9102 9102 9102')
  assert.deepEqual(entries.map((entry) => entry.level), ['warn'])

  now += 9_999
  assert.equal(a.healthy, false, 'still cooling down')
  now += 1
  assert.equal(a.healthy, true, 'half-open after the cooldown')
  pool.reportSuccess(a)
  assert.equal(a.state().consecutiveFailures, 0)
  assert.deepEqual(entries.map((entry) => entry.level), ['warn', 'info'])
  // Closed again: it takes three new failures to trip.
  pool.reportFailure(a, 'status 502')
  assert.equal(a.healthy, true)
})

test('a failure during the half-open trial trips the cooldown again at once', () => {
  let now = 0
  const { pool, entries, byPort } = poolOf({ origins: [A], passive_health: { failures: 2, cooldown: 500 } }, () => now)
  const a = byPort(9101)
  pool.reportFailure(a, 'ECONNREFUSED')
  pool.reportFailure(a, 'ECONNREFUSED')
  assert.equal(pool.pick(request), undefined)
  now += 500
  assert.equal(pool.pick(request), a)
  pool.reportFailure(a, 'ECONNRESET')
  assert.equal(a.healthy, false)
  assert.equal(entries.filter((entry) => entry.level === 'warn').length, 2)
  // Late outcomes of requests started before the trip neither extend nor end the cooldown.
  pool.reportSuccess(a)
  assert.equal(a.healthy, false)
  now += 500
  assert.equal(a.healthy, true)
})

test('release never drives the in-flight count below zero', () => {
  const { pool, byPort } = poolOf({ origins: [A] })
  const a = byPort(9101)
  pool.release(a)
  assert.equal(a.active, 0)
  pool.acquire(a)
  assert.deepEqual(a.state(), { id: 'http://127.0.0.1:9101/', healthy: true, active: 1, weight: 1, consecutiveFailures: 0 })
})
