import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HashRing, hash32 } from '../../src/proxy/balancer/hash-ring.js'

interface Item { id: string; weight: number }

const items = (weights: number[]): Item[] =>
  weights.map((weight, index) => ({ id: `http://10.0.0.${index + 1}:8080/`, weight }))

const any = () => true
const KEYS = Array.from({ length: 10_000 }, (_, index) => `/rooms/${index}`)

test('hash32 is deterministic, unsigned 32-bit and separates near-identical keys', () => {
  assert.equal(hash32('a'), hash32('a'))
  assert.notEqual(hash32('origin#1'), hash32('origin#2'))
  assert.ok(Number.isInteger(hash32('x')) && hash32('x') >= 0 && hash32('x') < 2 ** 32)
})

test('ring spreads 10k keys roughly in proportion to weight', () => {
  const weighted = items([1, 2, 3, 4])
  const ring = new HashRing(weighted)
  const counts = new Map<Item, number>()
  for (const key of KEYS) {
    const owner = ring.pick(key, any)!
    counts.set(owner, (counts.get(owner) ?? 0) + 1)
  }
  for (const item of weighted) {
    const share = (counts.get(item) ?? 0) / KEYS.length
    const expected = item.weight / 10
    assert.ok(Math.abs(share - expected) / expected < 0.25, `${item.id} weight ${item.weight}: share ${share}, expected ≈${expected}`)
  }
})

test('removing one of four origins moves only the keys it owned', () => {
  const four = items([1, 1, 1, 1])
  const removed = four[2]!
  const before = new HashRing(four)
  const after = new HashRing(four.filter((item) => item !== removed))
  let moved = 0
  for (const key of KEYS) {
    const was = before.pick(key, any)
    const now = after.pick(key, any)
    if (was === now) continue
    assert.equal(was, removed, `key ${key} moved from ${was?.id} though that origin stayed`)
    moved++
  }
  assert.ok(moved > 0.15 * KEYS.length && moved < 0.35 * KEYS.length, `moved ${moved} of ${KEYS.length}`)
})

test('the same key maps to the same origin every time and in every ring built from the same origins', () => {
  const first = new HashRing(items([1, 2, 1]))
  const second = new HashRing(items([1, 2, 1]).reverse())
  for (const key of KEYS.slice(0, 1000)) {
    const owner = first.pick(key, any)!
    assert.equal(first.pick(key, any), owner)
    assert.equal(second.pick(key, any)!.id, owner.id)
  }
})

test('a refused owner sends the key to the next distinct origin, the same one each time', () => {
  const three = items([1, 1, 1])
  const ring = new HashRing(three)
  let checked = 0
  for (const key of KEYS.slice(0, 500)) {
    const owner = ring.pick(key, any)!
    const fallback = ring.pick(key, (item) => item !== owner)!
    assert.notEqual(fallback, owner)
    assert.equal(ring.pick(key, (item) => item !== owner), fallback)
    // Walking the ring with the owner gone is what a ring without it would answer.
    assert.equal(new HashRing(three.filter((item) => item !== owner)).pick(key, any), fallback)
    checked++
    if (checked >= 50) break
  }
})

test('pick answers undefined when every origin is refused, and on an empty ring', () => {
  assert.equal(new HashRing(items([1, 2])).pick('k', () => false), undefined)
  assert.equal(new HashRing<Item>([]).pick('k', any), undefined)
})
