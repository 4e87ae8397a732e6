import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OriginPool } from '../../src/proxy/balancer/origin-pool.js'
import { recordingLogger, siteWith } from './fixtures.js'

const A = 'http://127.0.0.1:9101'
const B = 'http://127.0.0.1:9102'
const C = 'http://127.0.0.1:9103'
const request = { url: '/', headers: {} }

test('update keeps the state of origins whose URL is unchanged and adopts new weights', () => {
  let now = 0
  const { logger } = recordingLogger()
  const pool = new OriginPool(siteWith({ origins: [A, B], passive_health: { failures: 1, cooldown: 1000 } }), { logger, now: () => now })
  const [a, b] = pool.origins
  pool.acquire(a!); pool.acquire(a!)
  pool.reportFailure(b!, 'ECONNREFUSED')
  assert.equal(b!.healthy, false)

  pool.update(siteWith({ origins: [{ url: `${A}/`, weight: 3, max_connections: 2 }, B, C], passive_health: { failures: 1, cooldown: 1000 } }))
  assert.equal(pool.origins.length, 3)
  assert.equal(pool.origins[0], a, 'same URL (even spelt with a trailing slash) is the same origin')
  assert.equal(pool.origins[1], b)
  assert.equal(a!.active, 2)
  assert.equal(a!.weight, 3)
  assert.equal(a!.maxConnections, 2)
  assert.equal(a!.available, false, 'the new max_connections applies to the kept count')
  assert.equal(b!.healthy, false, 'the cooldown survives the reload')
  assert.equal(pool.pick(request), pool.origins[2])
  now += 1000
  assert.equal(b!.healthy, true)
})

test('a removed origin is no longer picked but release and reports on it still work', () => {
  const { logger } = recordingLogger()
  const pool = new OriginPool(siteWith({ origins: [A, B] }), { logger })
  const [a, b] = pool.origins
  pool.acquire(a!)
  pool.update(siteWith({ origins: [B] }))
  assert.deepEqual(pool.origins, [b])
  for (let index = 0; index < 4; index++) assert.equal(pool.pick(request), b)
  assert.equal(a!.active, 1, 'its in-flight connection is still counted')
  assert.doesNotThrow(() => {
    pool.release(a!)
    pool.release(a!)
    pool.reportFailure(a!, 'ECONNRESET')
    pool.reportSuccess(a!)
  })
  assert.equal(a!.active, 0)
  // Re-adding the URL later starts a fresh origin rather than resurrecting the old object.
  pool.update(siteWith({ origins: [A, B] }))
  assert.notEqual(pool.origins[0], a)
})

test('update switches the policy and rebuilds the hash ring from the new origins', () => {
  const { logger } = recordingLogger()
  const pool = new OriginPool(siteWith({ origins: [A, B, C] }), { logger })
  assert.equal(pool.pick(request), pool.origins[0])
  assert.equal(pool.pick(request), pool.origins[1])
  pool.update(siteWith({ origins: [A, B, C], balance: { policy: 'hash', hash_on: 'path' } }))
  const owner = pool.pick({ url: '/chat/42?x=1', headers: {} })
  for (let index = 0; index < 5; index++) assert.equal(pool.pick({ url: '/chat/42?x=2', headers: {} }), owner)
  pool.update(siteWith({ origins: pool.origins.filter((origin) => origin !== owner).map((origin) => origin.id), balance: { policy: 'hash', hash_on: 'path' } }))
  const moved = pool.pick({ url: '/chat/42', headers: {} })
  assert.ok(moved !== undefined && moved !== owner)
})

test('an origin listed twice is kept once and the duplicate is logged', () => {
  const { logger, entries } = recordingLogger()
  const pool = new OriginPool(siteWith({ origins: [A, `${A}/`] }), { logger })
  assert.equal(pool.origins.length, 1)
  assert.equal(entries.length, 1)
  assert.equal(entries[0]!.level, 'warn')
})
