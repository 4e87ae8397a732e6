import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SmoothRoundRobin } from '../../src/proxy/balancer/round-robin.js'

test('smooth weighted round robin gives nginx\'s a a b a c a a for weights 5,1,1', () => {
  const a = { name: 'a', weight: 5 }
  const b = { name: 'b', weight: 1 }
  const c = { name: 'c', weight: 1 }
  const roundRobin = new SmoothRoundRobin<typeof a>()
  const sequence = Array.from({ length: 14 }, () => roundRobin.pick([a, b, c])!.name).join(' ')
  assert.equal(sequence, 'a a b a c a a a a b a c a a')
})

test('equal weights alternate strictly', () => {
  const items = [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }, { name: 'z', weight: 1 }]
  const roundRobin = new SmoothRoundRobin<(typeof items)[number]>()
  assert.equal(Array.from({ length: 6 }, () => roundRobin.pick(items)!.name).join(''), 'xyzxyz')
})

test('an item left out of the candidates is skipped and the rest keep their order', () => {
  const items = [{ name: 'x', weight: 1 }, { name: 'y', weight: 1 }, { name: 'z', weight: 1 }]
  const roundRobin = new SmoothRoundRobin<(typeof items)[number]>()
  const withoutY = [items[0]!, items[2]!]
  assert.equal(Array.from({ length: 4 }, () => roundRobin.pick(withoutY)!.name).join(''), 'xzxz')
  assert.equal(roundRobin.pick([]), undefined)
})
