import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { EventEmitter } from 'node:events'
import * as ws from 'ws'
import { frameMessage } from '../../src/runtime/frame-fanout.js'

/** ws's frame parser (exported by the package, missing from its type definitions). */
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean; binaryType: string }) => EventEmitter & { write(chunk: Buffer): void } }

/** Parses frames with ws's own client-side receiver (server frames are unmasked). */
function parse(frame: Buffer): { data: string | Buffer; isBinary: boolean } {
  let result: { data: string | Buffer; isBinary: boolean } | undefined
  const receiver = new Receiver({ isServer: false, binaryType: 'nodebuffer' })
  receiver.on('message', (data: Buffer, isBinary: boolean) => { result = { data: isBinary ? data : data.toString(), isBinary } })
  receiver.on('error', (error: Error) => { throw error })
  receiver.write(frame)
  assert.ok(result, 'a whole message was parsed')
  return result
}

test('text frames use the 7-bit, 16-bit and 64-bit length forms of RFC 6455 §5.2', () => {
  for (const length of [0, 1, 125, 126, 65_535, 65_536, 200_000]) {
    const text = 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2)
    const frame = frameMessage(text)
    assert.equal(frame[0], 0x81, 'FIN + text opcode')
    const bytes = Buffer.byteLength(text)
    const header = bytes < 126 ? 2 : bytes < 65_536 ? 4 : 10
    assert.equal(frame.length, header + bytes)
    assert.equal(frame[1]! & 0x80, 0, 'server frames are not masked')
    assert.equal(parse(frame).data, text)
  }
})

test('binary frames carry the bytes of a Uint8Array view, not its whole buffer', () => {
  const backing = new Uint8Array(64).map((_, index) => index)
  const view = backing.subarray(10, 20)
  const frame = frameMessage(view)
  assert.equal(frame[0], 0x82, 'FIN + binary opcode')
  const parsed = parse(frame)
  assert.equal(parsed.isBinary, true)
  assert.deepEqual([...(parsed.data as Buffer)], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
})
