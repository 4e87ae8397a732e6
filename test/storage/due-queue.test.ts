import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DueQueue, type DueItem } from '../../src/storage/due-queue.js'

test('due queue pops items by time, ties in push order', () => {
  const queue = new DueQueue()
  const items: DueItem[] = Array.from({ length: 500 }, (_, version) => ({ time: Math.floor(Math.random() * 50), key: `k${version}`, version }))
  for (const item of items) queue.push(item)
  const expected = [...items].sort((a, b) => a.time - b.time || a.version - b.version)
  assert.equal(queue.peek(), expected[0])
  const popped: DueItem[] = []
  for (let item = queue.pop(); item !== undefined; item = queue.pop()) popped.push(item)
  assert.deepEqual(popped, expected)
  assert.equal(queue.length, 0)
})

test('due queue reset rebuilds a valid heap from unordered items', () => {
  const queue = new DueQueue()
  queue.push({ time: 1, key: 'stale', version: 0 })
  const items: DueItem[] = [9, 3, 7, 1, 8, 2].map((time, version) => ({ time, key: `k${time}`, version: version + 1 }))
  queue.reset(items)
  assert.deepEqual(Array.from({ length: 6 }, () => queue.pop()!.time), [1, 2, 3, 7, 8, 9])
  assert.equal(queue.pop(), undefined)
})
