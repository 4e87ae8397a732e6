import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WireDecoder, WireEncoder, decodeFrame } from '../../src/runtime/runner-wire.js'
import type { GatewayToRunner, RunnerToGateway } from '../../src/runtime/runner-protocol.js'

type Entry = GatewayToRunner | RunnerToGateway

const object = { className: 'Room', objectId: 'ab'.repeat(32), name: 'lobby ✓' }

/** Every shape the hot tags cover, and cold entries that must survive as structured clones. */
const batch: Entry[] = [
  { type: 'ws-message', eventId: 1, appId: 'chat', version: 3, object, socketId: 'a1.x', data: 'héllo 👋' },
  { type: 'ws-message', eventId: 2 ** 40 + 5, appId: 'chat', version: 3, socketId: 'a1.y', data: new Uint8Array([0, 1, 255]) },
  { type: 'ws-message', eventId: 3, appId: 'chat', version: 3, object: { className: 'Room', objectId: 'cd'.repeat(32) }, socketId: 'a1.z', data: '' },
  // With sockets: generic, so SocketRecord attachments (bytes) and nulls are kept.
  { type: 'ws-message', eventId: 4, appId: 'chat', version: 3, object, socketId: 'a1.x', data: 'x', sockets: [{ socketId: 'a1.x', tags: ['t'], attachment: new Uint8Array([9]), protocol: '', autoResponseAt: null }] },
  { type: 'ws-send', socketIds: ['a1.x', 'a1.y', 'a1.z'], data: 'to all' },
  { type: 'ws-send', socketIds: [], data: new Uint8Array(70_000).fill(7) },
  { type: 'event-done', eventId: 7, cpuMs: 0.125 },
  { type: 'event-done', eventId: 8, cpuMs: 1, error: 'boom', writes: [{ key: 'k', value: new Uint8Array([1, 2]) }, { key: 'gone', value: null }], alarm: null },
  { type: 'rpc', callId: 9, call: { op: 'storage-list', appId: 'chat', object, options: { prefix: 'a', reverse: true } } },
  { type: 'rpc-result', callId: 9, ok: true, value: new Map([['a', new Uint8Array([1])]]) },
  { type: 'ping', seq: 12 },
]

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] }
  if (value instanceof Map) return { map: [...value].map(([key, item]) => [key, plain(item)]) }
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]))
  return value
}

test('a batch decodes to the same entries, in order, for hot and cold entry types', () => {
  const frame = new WireEncoder().frame(batch)
  assert.equal(frame.readUInt32LE(0), frame.length - 4)
  assert.deepEqual(plain(decodeFrame(frame.subarray(4))), plain(batch))
})

test('frames split at every byte boundary and glued together come out whole and in order', () => {
  const encoder = new WireEncoder()
  const first = encoder.frame(batch.slice(0, 5))
  const second = encoder.frame(batch.slice(5))
  const stream = Buffer.concat([first, second])
  for (let cut = 0; cut <= stream.length; cut += 997) {
    const received: Entry[][] = []
    const decoder = new WireDecoder((entries) => received.push(entries))
    decoder.push(stream.subarray(0, cut))
    for (let at = cut; at < stream.length; at += 1) decoder.push(stream.subarray(at, at + 1))
    assert.deepEqual(plain(received), plain([batch.slice(0, 5), batch.slice(5)]), `cut at ${cut}`)
  }
})

test('client message bytes are copied out of the frame; the encoder reuses its buffer safely', () => {
  const encoder = new WireEncoder()
  const frame = encoder.frame([batch[1]!])
  const [entry] = decodeFrame(frame.subarray(4)) as [Extract<GatewayToRunner, { type: 'ws-message' }>]
  const data = entry.data as Uint8Array
  // Exact-size copy: an isolate copies a view's whole underlying buffer.
  assert.equal(data.byteLength, data.buffer.byteLength)
  frame.fill(0)
  assert.deepEqual([...data], [0, 1, 255])
  // A second frame from the same encoder does not change the first one's bytes.
  const again = encoder.frame([batch[0]!])
  const later = encoder.frame([batch[4]!])
  assert.deepEqual(plain(decodeFrame(again.subarray(4))), plain([batch[0]]))
  assert.deepEqual(plain(decodeFrame(later.subarray(4))), plain([batch[4]]))
})

test('an unknown tag or an oversized frame is refused', () => {
  assert.throws(() => decodeFrame(Buffer.from([42])), /unknown runner wire tag/)
  const decoder = new WireDecoder(() => {})
  const header = Buffer.alloc(4)
  header.writeUInt32LE(0xffffffff, 0)
  assert.throws(() => decoder.push(header), /frame of/)
})
