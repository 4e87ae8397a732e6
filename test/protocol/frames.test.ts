import assert from 'node:assert/strict'
import { Buffer, isUtf8 } from 'node:buffer'
import { createRequire } from 'node:module'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, test } from 'node:test'
import {
  buildCloseFrame,
  buildDataFrame,
  buildPingFrame,
  buildPongFrame,
  parseClosePayload,
} from '../../src/protocol/frames.js'
import { CloseCode, isControl, isSendableCloseCode, Opcode } from '../../src/protocol/opcodes.js'
import { CLIENT_TO_SERVER, hex, scan } from './scanner-harness.js'

/** Unmasks a client frame whose payload is shorter than 126 bytes. */
function unmaskSmall(frame: Buffer): Buffer {
  assert.ok(frame[1]! & 0x80, 'mask bit set')
  const key = frame.subarray(2, 6)
  return Buffer.from(frame.subarray(6).map((byte, i) => byte ^ key[i & 3]!))
}

describe('opcodes', () => {
  test('control opcodes are 0x8 and above', () => {
    assert.deepEqual(Object.values(Opcode).filter(isControl), [Opcode.CLOSE, Opcode.PING, Opcode.PONG])
  })

  test('only RFC 6455 §7.4 sendable close codes are accepted', () => {
    const sendable = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]
    const never = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5, NaN]
    for (const code of sendable) assert.equal(isSendableCloseCode(code), true, String(code))
    for (const code of never) assert.equal(isSendableCloseCode(code), false, String(code))
  })
})

describe('frame builders', () => {
  test('an unmasked text frame matches RFC 6455 §5.7', () => {
    assert.deepEqual(buildDataFrame(Opcode.TEXT, Buffer.from('Hello'), false), hex('81 05 48656c6c6f'))
    assert.deepEqual(buildDataFrame(Opcode.TEXT, Buffer.from('Hel'), false, false), hex('01 03 48656c'))
  })

  test('16-bit and 64-bit lengths match RFC 6455 §5.7', () => {
    assert.deepEqual(buildDataFrame(Opcode.BINARY, Buffer.alloc(256), false).subarray(0, 4), hex('82 7e 0100'))
    assert.deepEqual(buildDataFrame(Opcode.BINARY, Buffer.alloc(65536), false).subarray(0, 10), hex('82 7f 0000000000010000'))
  })

  test('a masked frame carries a random key and the masked payload', () => {
    const first = buildDataFrame(Opcode.TEXT, Buffer.from('Hello'), true)
    const second = buildDataFrame(Opcode.TEXT, Buffer.from('Hello'), true)
    assert.deepEqual(first.subarray(0, 2), hex('81 85'))
    assert.equal(unmaskSmall(first).toString(), 'Hello')
    assert.notDeepEqual(first.subarray(2, 6), second.subarray(2, 6))
  })

  test('the builders do not mask the caller payload in place', () => {
    const payload = Buffer.from('ping')
    buildPingFrame(payload, true)
    buildDataFrame(Opcode.BINARY, payload, true)
    assert.equal(payload.toString(), 'ping')
  })

  test('ping and pong frames refuse payloads over 125 bytes', () => {
    assert.deepEqual(buildPingFrame(Buffer.from('Hello'), false), hex('89 05 48656c6c6f'))
    assert.deepEqual(buildPongFrame(Buffer.alloc(0), false), hex('8a 00'))
    assert.throws(() => buildPingFrame(Buffer.alloc(126), false), RangeError)
    assert.throws(() => buildPongFrame(Buffer.alloc(126), true), RangeError)
    assert.throws(() => buildDataFrame(Opcode.PING, Buffer.alloc(1), false), RangeError)
  })

  test('a close frame carries the code and reason', () => {
    assert.deepEqual(buildCloseFrame(1000, 'bye', false), hex('88 05 03e8 627965'))
    assert.deepEqual(buildCloseFrame(CloseCode.NO_STATUS, 'ignored', false), hex('88 00'))
    assert.throws(() => buildCloseFrame(1006, '', false), RangeError)
    assert.throws(() => buildCloseFrame(1015, '', false), RangeError)
  })

  test('a close reason is cut to 123 bytes at a UTF-8 boundary', () => {
    const cases = [
      { reason: 'a'.repeat(200), bytes: 123 },
      { reason: 'é'.repeat(70), bytes: 122 }, // 2-byte characters: 123 would split one
      { reason: 'a' + '😀'.repeat(31), bytes: 121 }, // 4-byte characters
      { reason: 'x'.repeat(123), bytes: 123 },
    ]
    for (const { reason, bytes } of cases) {
      for (const mask of [false, true]) {
        const frame = buildCloseFrame(CloseCode.POLICY, reason, mask)
        const payload = mask ? unmaskSmall(frame) : frame.subarray(2)
        assert.equal(frame[1]! & 0x7f, 2 + bytes, `${reason.slice(0, 3)} mask=${mask}`)
        assert.equal(payload.length, 2 + bytes)
        assert.ok(isUtf8(payload.subarray(2)))
        const parsed = parseClosePayload(payload)
        assert.equal(parsed.code, 1008)
        assert.ok(reason.startsWith(parsed.reason))
      }
    }
  })

  test('a masked close frame passes the client-direction scanner and parses back', () => {
    const result = scan([buildCloseFrame(4001, 'going', true)], CLIENT_TO_SERVER)
    const frame = result.events[0]
    assert.ok(frame?.type === 'frame' && frame.payload !== undefined)
    assert.deepEqual(parseClosePayload(Buffer.from(frame.payload, 'hex')), { code: 4001, reason: 'going' })
    assert.equal(result.scanner.closed, true)
  })

  test('close payloads without a code parse to an empty reason', () => {
    assert.deepEqual(parseClosePayload(Buffer.alloc(0)), { reason: '' })
    assert.deepEqual(parseClosePayload(hex('03')), { reason: '' })
    assert.deepEqual(parseClosePayload(hex('03e9')), { code: 1001, reason: '' })
  })

  test("ws's receiver reads the built client frames", async () => {
    const require = createRequire(import.meta.url)
    const { Receiver } = require('ws') as { Receiver: new (options: { isServer: boolean }) => any }
    const receiver = new Receiver({ isServer: true })
    const seen: string[] = []
    receiver.on('message', (data: Buffer, binary: boolean) => seen.push(`${binary ? 'binary' : 'text'} ${data.length}`))
    receiver.on('ping', (data: Buffer) => seen.push(`ping ${data}`))
    receiver.on('conclude', (code: number, reason: Buffer) => seen.push(`close ${code} ${reason}`))
    receiver.write(buildDataFrame(Opcode.TEXT, Buffer.from('héllo'), true, false))
    receiver.write(buildPingFrame(Buffer.from('p'), true))
    receiver.write(buildDataFrame(Opcode.CONTINUATION, Buffer.from('!'), true))
    receiver.write(buildDataFrame(Opcode.BINARY, Buffer.alloc(70000), true))
    receiver.write(buildCloseFrame(1001, 'bye', true))
    for (let turn = 0; turn < 100 && seen.length < 4; turn++) await nextTurn()
    assert.deepEqual(seen, ['ping p', 'text 7', 'binary 70000', 'close 1001 bye'])
  })
})
