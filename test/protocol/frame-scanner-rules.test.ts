import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { describe, test } from 'node:test'
import type { ScannerOptions } from '../../src/protocol/frame-scanner.js'
import { chunkings, CLIENT_TO_SERVER, hex, scan, SERVER_TO_CLIENT, type ScanResult } from './scanner-harness.js'

const HELLO = hex('81 05 48656c6c6f') // RFC 6455 §5.7: unmasked text "Hello"
const HELLO_MASKED = hex('81 85 37fa213d 7f9f4d5158') // RFC 6455 §5.7: masked text "Hello"

/** The same violation, at the same offset, with the same bytes emitted before it, however the stream is cut. */
function assertViolation(stream: Buffer, options: ScannerOptions, code: number, reason: string, at: number): void {
  for (const { name, chunks } of chunkings(stream)) {
    const result = scan(chunks, options)
    const last = result.events.at(-1)
    assert.deepEqual(last, { type: 'violation', code, reason, at }, name)
    assert.equal(result.events.filter((event) => event.type === 'violation').length, 1, name)
    assert.deepEqual(result.output, stream.subarray(0, at), `${name}: emitted bytes before the offending frame`)
    assert.equal(result.scanner.closed, true, name)
  }
}

function frameEvents(result: ScanResult): unknown[] {
  return result.events.filter((event) => event.type === 'frame')
}

describe('FrameScanner rejects protocol violations', () => {
  test('an unmasked frame from the client is 1002', () => {
    assertViolation(Buffer.concat([HELLO_MASKED, HELLO]), CLIENT_TO_SERVER, 1002, 'unmasked frame from client', 11)
  })

  test('a masked frame from the server is 1002', () => {
    assertViolation(Buffer.concat([HELLO, HELLO_MASKED]), SERVER_TO_CLIENT, 1002, 'masked frame from server', 7)
  })

  test('reserved opcodes 0x3-0x7 and 0xB-0xF are 1002', () => {
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      const frame = Buffer.from([0x80 | opcode, 0x00])
      assertViolation(Buffer.concat([HELLO, frame]), SERVER_TO_CLIENT, 1002, `reserved opcode 0x${opcode.toString(16)}`, 7)
    }
  })

  test('a control frame longer than 125 bytes is 1002', () => {
    const ping126 = Buffer.concat([hex('89 7e 007e'), Buffer.alloc(126, 0x61)])
    assertViolation(Buffer.concat([HELLO, ping126]), SERVER_TO_CLIENT, 1002, 'control frame payload 126 > 125', 7)
  })

  test('a control frame without FIN is 1002', () => {
    assertViolation(Buffer.concat([HELLO, hex('09 00')]), SERVER_TO_CLIENT, 1002, 'fragmented control frame', 7)
  })

  test('a continuation frame with no message in progress is 1002', () => {
    const stream = Buffer.concat([HELLO, hex('80 01 41')])
    assertViolation(stream, SERVER_TO_CLIENT, 1002, 'continuation frame without a message in progress', 7)
  })

  test('a new data frame inside a fragmented message is 1002', () => {
    const stream = hex('01 01 41  89 00  81 01 42')
    assertViolation(stream, SERVER_TO_CLIENT, 1002, 'data frame while a fragmented message is in progress', 5)
  })

  test('RSV bits without a negotiated extension are 1002', () => {
    assertViolation(hex('c1 01 41'), SERVER_TO_CLIENT, 1002, 'RSV1 set without a negotiated extension', 0)
    const deflate = { ...SERVER_TO_CLIENT, allowedRsv: 0x40 }
    assertViolation(hex('c1 01 41  a1 01 41'), deflate, 1002, 'RSV2 set without a negotiated extension', 3)
    assertViolation(hex('91 01 41'), deflate, 1002, 'RSV3 set without a negotiated extension', 0)
  })

  test('RSV1 on a first frame is allowed when permessage-deflate was negotiated', () => {
    const result = scan([hex('c1 01 41  41 01 41  80 01 42')], { ...SERVER_TO_CLIENT, allowedRsv: 0x40 })
    assert.deepEqual(result.events, [
      { type: 'frame', opcode: 1, fin: true, rsv: 0x40, masked: false, payloadLength: 1, start: 0 },
      { type: 'message', opcode: 1, size: 1, dropped: false },
      { type: 'frame', opcode: 1, fin: false, rsv: 0x40, masked: false, payloadLength: 1, start: 3 },
      { type: 'frame', opcode: 0, fin: true, rsv: 0, masked: false, payloadLength: 1, start: 6 },
      { type: 'message', opcode: 1, size: 2, dropped: false },
    ])
  })

  test('RSV bits on a continuation or control frame are 1002 even with an extension', () => {
    const deflate = { ...SERVER_TO_CLIENT, allowedRsv: 0x70 }
    assertViolation(hex('41 01 41  c0 01 42'), deflate, 1002, 'RSV1 set on a continuation frame', 3)
    assertViolation(hex('c9 00'), deflate, 1002, 'RSV1 set on a control frame', 0)
  })

  test('a 64-bit length with the most significant bit set is 1002', () => {
    const stream = Buffer.concat([HELLO, hex('82 7f 8000000000000000')])
    assertViolation(stream, SERVER_TO_CLIENT, 1002, '64-bit length with the most significant bit set', 7)
  })

  test('a close frame with a 1-byte payload is 1002', () => {
    assertViolation(Buffer.concat([HELLO, hex('88 01 03')]), SERVER_TO_CLIENT, 1002, 'close frame payload of 1 byte', 7)
  })

  test('a message over the size limit is 1009 at the frame that crosses it', () => {
    const limit5 = { ...SERVER_TO_CLIENT, maxMessageSize: 5 }
    // "Hello" is exactly at the limit and passes.
    assertViolation(Buffer.concat([HELLO, hex('81 06 000000000000')]), limit5, 1009, 'message of 6 bytes exceeds limit 5', 7)
    // Fragments add up; the interleaved ping does not count.
    const fragmented = hex('01 03 48656c  89 00  80 03 6c6f21')
    assertViolation(fragmented, limit5, 1009, 'message of 6 bytes exceeds limit 5', 7)
  })

  test('a frame length beyond 2^53 - 1 is 1009 even without a limit', () => {
    const stream = hex('82 7f 0020000000000000')
    assertViolation(stream, SERVER_TO_CLIENT, 1009, 'message of 9007199254740992 bytes exceeds 2^53 - 1', 0)
  })

  test('input after a violation is discarded but counted as wire bytes', () => {
    const result = scan([hex('c1 01 41'), HELLO])
    assert.equal(result.output.length, 0)
    assert.equal(result.events.length, 1)
    assert.equal(result.scanner.wireBytes, 10)
  })
})

describe('FrameScanner passes valid streams', () => {
  test('the RFC 6455 §5.7 server examples pass unchanged with exact events', () => {
    const binary256 = Buffer.concat([hex('82 7e 0100'), Buffer.alloc(256, 7)])
    const stream = Buffer.concat([HELLO, hex('01 03 48656c  80 02 6c6f'), hex('89 05 48656c6c6f'), binary256])
    const result = scan([stream])
    assert.deepEqual(result.output, stream)
    assert.deepEqual(result.events, [
      { type: 'frame', opcode: 1, fin: true, rsv: 0, masked: false, payloadLength: 5, start: 0 },
      { type: 'message', opcode: 1, size: 5, dropped: false },
      { type: 'frame', opcode: 1, fin: false, rsv: 0, masked: false, payloadLength: 3, start: 7 },
      { type: 'frame', opcode: 0, fin: true, rsv: 0, masked: false, payloadLength: 2, start: 12 },
      { type: 'message', opcode: 1, size: 5, dropped: false },
      { type: 'frame', opcode: 9, fin: true, rsv: 0, masked: false, payloadLength: 5, start: 16, payload: '48656c6c6f' },
      { type: 'frame', opcode: 2, fin: true, rsv: 0, masked: false, payloadLength: 256, start: 23 },
      { type: 'message', opcode: 2, size: 256, dropped: false },
    ])
  })

  test('a 64 KiB frame with a 64-bit length passes in uneven chunks', () => {
    const frame = Buffer.concat([hex('82 7f 0000000000010000'), Buffer.alloc(65536, 1)])
    for (const size of [1000, 4096, 65546]) {
      const chunks: Buffer[] = []
      for (let at = 0; at < frame.length; at += size) chunks.push(frame.subarray(at, at + size))
      const result = scan(chunks)
      assert.deepEqual(result.output, frame)
      assert.deepEqual(frameEvents(result), [
        { type: 'frame', opcode: 2, fin: true, rsv: 0, masked: false, payloadLength: 65536, start: 0 },
      ])
      assert.deepEqual(result.events.at(-1), { type: 'message', opcode: 2, size: 65536, dropped: false })
      assert.equal(result.scanner.payloadBytes, 65536)
    }
  })

  test('masked control payloads are reported unmasked', () => {
    const pong = hex('8a 85 37fa213d 7f9f4d5158') // RFC 6455 §5.7: masked pong "Hello"
    const result = scan([Buffer.concat([HELLO_MASKED, pong])], CLIENT_TO_SERVER)
    assert.deepEqual(frameEvents(result).at(-1), {
      type: 'frame', opcode: 10, fin: true, rsv: 0, masked: true, payloadLength: 5, start: 11, payload: '48656c6c6f',
    })
  })

  test('control frames may interleave between the fragments of a message', () => {
    const stream = hex('01 01 41  89 00  8a 01 70  80 01 42  88 00')
    const result = scan([stream])
    assert.deepEqual(result.output, stream)
    assert.deepEqual(result.events.filter((event) => event.type === 'message'), [
      { type: 'message', opcode: 1, size: 2, dropped: false },
    ])
  })

  test('nothing after a Close frame is emitted and the scanner reports closed', () => {
    const close = hex('88 02 03e8')
    const result = scan([Buffer.concat([HELLO, close, HELLO]), HELLO])
    assert.deepEqual(result.output, Buffer.concat([HELLO, close]))
    assert.equal(result.scanner.closed, true)
    assert.equal(result.scanner.frames, 2)
    assert.equal(result.scanner.wireBytes, 7 + 4 + 7 + 7)
  })

  test('a chunk with no cut is emitted as the very same buffer object', () => {
    const frame = Buffer.concat([hex('82 7e 0100'), Buffer.alloc(256, 7)])
    const chunks = [Buffer.concat([HELLO, HELLO, frame.subarray(0, 100)]), frame.subarray(100)]
    const result = scan(chunks)
    assert.equal(result.emitted.length, 2)
    assert.equal(result.emitted[0], chunks[0])
    assert.equal(result.emitted[1], chunks[1])
  })
})
