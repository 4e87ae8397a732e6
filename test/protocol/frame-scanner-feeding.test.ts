import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { createRequire } from 'node:module'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { DROP, FORWARD, FrameScanner, type ScannerEvents } from '../../src/protocol/frame-scanner.js'
import { chunkings, CLIENT_TO_SERVER, dropOpcodes, hex, maskWith, scan, SERVER_TO_CLIENT } from './scanner-harness.js'

const KEY = hex('37fa213d')
/** A masked client frame: first byte, then length and the RFC 6455 §5.7 example key. */
function masked(first: number, payload: Buffer): Buffer {
  const length = payload.length < 126 ? Buffer.from([0x80 | payload.length]) : Buffer.from([0xfe, payload.length >> 8, payload.length & 0xff])
  return Buffer.concat([Buffer.from([first]), length, KEY, maskWith(KEY, payload)])
}

// A client stream mixing everything the relay sees; pongs (0xA) and binary messages are dropped.
const parts = {
  text: masked(0x81, Buffer.from('Hi')),
  binaryStart: masked(0x02, hex('010203')),
  ping: masked(0x89, Buffer.from('p')),
  binaryMiddle: masked(0x00, hex('04')),
  pong: masked(0x8a, Buffer.from('pong')),
  binaryEnd: masked(0x80, hex('0506')),
  text126: masked(0x81, Buffer.alloc(126, 0x61)),
  textStart: masked(0x01, Buffer.from('x')),
  emptyPong: masked(0x8a, Buffer.alloc(0)),
  textEnd: masked(0x80, Buffer.from('y')),
  close: masked(0x88, hex('03e8 627965')),
  afterClose: masked(0x81, Buffer.from('late')),
}
const clientStream = Buffer.concat(Object.values(parts))
const expectedOutput = Buffer.concat([parts.text, parts.ping, parts.text126, parts.textStart, parts.textEnd, parts.close])
const dropPongsAndBinary = dropOpcodes(0x2, 0xa)

describe('FrameScanner feeding', () => {
  test('output and events are identical whole, byte at a time, split at every offset and in random chunks', () => {
    const reference = scan([clientStream], CLIENT_TO_SERVER, dropPongsAndBinary)
    assert.deepEqual(reference.output, expectedOutput)
    assert.deepEqual(reference.events.filter((event) => event.type === 'message'), [
      { type: 'message', opcode: 1, size: 2, dropped: false },
      { type: 'message', opcode: 2, size: 6, dropped: true },
      { type: 'message', opcode: 1, size: 126, dropped: false },
      { type: 'message', opcode: 1, size: 2, dropped: false },
    ])
    for (const { name, chunks } of chunkings(clientStream)) {
      const result = scan(chunks, CLIENT_TO_SERVER, dropPongsAndBinary)
      assert.deepEqual(result.output, expectedOutput, name)
      assert.deepEqual(result.events, reference.events, name)
    }
  })

  test('counters count every frame and byte, dropped ones included', () => {
    for (const { name, chunks } of chunkings(clientStream)) {
      const { scanner } = scan(chunks, CLIENT_TO_SERVER, dropPongsAndBinary)
      const { frames, messages, payloadBytes, wireBytes, droppedMessages, controlFrames } = scanner
      assert.deepEqual(
        { frames, messages, payloadBytes, wireBytes, droppedMessages, controlFrames },
        { frames: 11, messages: 4, payloadBytes: 2 + 3 + 1 + 1 + 4 + 2 + 126 + 1 + 0 + 1 + 5, wireBytes: clientStream.length, droppedMessages: 1, controlFrames: 4 },
        name,
      )
    }
  })

  test('dropping a pong between fragments keeps the message intact', () => {
    const stream = hex('01 03 48656c  8a 02 6869  80 02 6c6f') // "Hel", pong "hi", "lo"
    for (const { name, chunks } of chunkings(stream)) {
      const result = scan(chunks, SERVER_TO_CLIENT, dropOpcodes(0xa))
      assert.deepEqual(result.output, hex('01 03 48656c  80 02 6c6f'), name)
      assert.deepEqual(result.events[1], { type: 'frame', opcode: 10, fin: true, rsv: 0, masked: false, payloadLength: 2, start: 5, payload: '6869' }, name)
    }
  })

  test('a dropped data message takes its continuations along; interleaved control frames are still offered', () => {
    const stream = hex('81 01 41  02 02 0102  89 01 70  00 01 03  80 01 04  81 01 42')
    for (const { name, chunks } of chunkings(stream)) {
      const result = scan(chunks, SERVER_TO_CLIENT, dropOpcodes(0x2))
      assert.deepEqual(result.output, hex('81 01 41  89 01 70  81 01 42'), name)
      assert.equal(result.scanner.droppedMessages, 1, name)
    }
  })

  test('the verdict on a continuation frame follows the first frame of its message', () => {
    const stream = hex('01 01 41  80 01 42')
    const result = scan([stream], SERVER_TO_CLIENT, (frame) => (frame.opcode === 0 ? DROP : FORWARD))
    assert.deepEqual(result.output, stream)
  })
})

describe('FrameScanner.inject', () => {
  const ping = hex('89 00')

  test('at a boundary the frame is emitted at once', () => {
    const scanner = new FrameScanner(SERVER_TO_CLIENT, quiet())
    const out: Buffer[] = []
    scanner.push(hex('81 01 41'), (bytes) => out.push(bytes))
    scanner.inject(ping, (bytes) => out.push(bytes))
    assert.deepEqual(Buffer.concat(out), hex('81 01 41  89 00'))
  })

  test('in the middle of a forwarded data frame it waits for the frame to end', () => {
    const scanner = new FrameScanner(SERVER_TO_CLIENT, quiet())
    const out: Buffer[] = []
    const emit = (bytes: Buffer): void => void out.push(bytes)
    scanner.push(hex('82 04 0102'), emit)
    assert.equal(scanner.atBoundary, false)
    scanner.inject(ping, emit)
    assert.deepEqual(Buffer.concat(out), hex('82 04 0102'))
    scanner.push(hex('03'), emit)
    assert.deepEqual(Buffer.concat(out), hex('82 04 0102 03'), 'still mid-frame')
    scanner.push(hex('04  81 01 41'), emit)
    assert.equal(scanner.atBoundary, true)
    assert.deepEqual(Buffer.concat(out), hex('82 04 0102 03 04  89 00  81 01 41'))
  })

  test('held bytes of a split header or partial control frame come after the injected frame', () => {
    for (const head of [hex('81'), hex('8a 02 68')]) {
      const scanner = new FrameScanner(SERVER_TO_CLIENT, quiet())
      const out: Buffer[] = []
      const emit = (bytes: Buffer): void => void out.push(bytes)
      const frame = head.length === 1 ? hex('81 01 41') : hex('8a 02 6869')
      scanner.push(head, emit)
      assert.equal(scanner.atBoundary, true)
      scanner.inject(ping, emit)
      scanner.push(frame.subarray(head.length), emit)
      assert.deepEqual(Buffer.concat(out), Buffer.concat([ping, frame]))
    }
  })

  test('while a dropped message streams, the output is at a boundary', () => {
    const scanner = new FrameScanner(SERVER_TO_CLIENT, { ...quiet(), onFrame: () => DROP })
    const out: Buffer[] = []
    const emit = (bytes: Buffer): void => void out.push(bytes)
    scanner.push(hex('82 04 0102'), emit)
    assert.equal(scanner.atBoundary, true)
    scanner.inject(ping, emit)
    assert.deepEqual(Buffer.concat(out), ping, 'emitted before the dropped frame ends')
    scanner.push(hex('0304'), emit)
    assert.deepEqual(Buffer.concat(out), ping)
  })

  test('called from onFrame, the frame is written after the frame being reported', () => {
    const out: Buffer[] = []
    const emit = (bytes: Buffer): void => void out.push(bytes)
    const scanner: FrameScanner = new FrameScanner(SERVER_TO_CLIENT, {
      ...quiet(),
      onFrame(frame) {
        if (frame.start === 3) scanner.inject(ping, emit)
        return FORWARD
      },
    })
    scanner.push(hex('81 01 41  82 02 0102  81 01 42'), emit)
    assert.deepEqual(Buffer.concat(out), hex('81 01 41  82 02 0102  89 00  81 01 42'))
  })

  test('called from onFrame for a control frame or empty data frame, it follows that frame', () => {
    const out: Buffer[] = []
    const emit = (bytes: Buffer): void => void out.push(bytes)
    const pong = hex('8a 00')
    const scanner: FrameScanner = new FrameScanner(SERVER_TO_CLIENT, {
      ...quiet(),
      onFrame(frame) {
        if (frame.opcode === 9 || frame.opcode === 8) scanner.inject(pong, emit)
        if (frame.opcode === 2) scanner.inject(ping, emit)
        return FORWARD
      },
    })
    scanner.push(hex('89 01 70  82 00  81 01 41  88 00  81 01 42'), emit)
    assert.deepEqual(Buffer.concat(out), hex('89 01 70  8a 00  82 00  89 00  81 01 41  88 00  8a 00'))
  })

  test('after a violation the frame is emitted at once, and the input is not', () => {
    const out: Buffer[] = []
    const emit = (bytes: Buffer): void => void out.push(bytes)
    const close = hex('88 02 03ea')
    const scanner: FrameScanner = new FrameScanner(SERVER_TO_CLIENT, {
      ...quiet(),
      onViolation: () => scanner.inject(close, emit),
    })
    scanner.push(hex('81 01 41  83 00  81 01 42'), emit)
    assert.deepEqual(Buffer.concat(out), hex('81 01 41  88 02 03ea'))
  })
})

describe('FrameScanner with ws-generated frames', () => {
  const require = createRequire(import.meta.url)
  type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }
  // ws exports these classes at runtime; @types/ws does not declare them.
  const ws = require('ws') as { Sender: unknown; Receiver: unknown }
  const Sender = ws.Sender as { frame(data: Buffer, options: FrameOptions): Buffer[] }
  const Receiver = ws.Receiver as new (options: { isServer: boolean }) => NodeJS.WritableStream & {
    on(event: string, listener: (...args: any[]) => void): void
  }

  test('a ws client stream passes byte-exact and ws still reads the messages minus the dropped pings', async () => {
    let seed = 11
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n)
    const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000]
    const frames: Buffer[] = []
    const expected: string[] = []
    for (let n = 0; n < 60; n++) {
      const data = Buffer.alloc(sizes[random(sizes.length)]!, n)
      const opcode = random(4) === 0 ? 0x9 : 0x2
      if (opcode === 0x2) expected.push(`${data.length}:${n}`)
      frames.push(...Sender.frame(data, { fin: true, opcode, mask: true, readOnly: true, rsv1: false }))
    }
    const stream = Buffer.concat(frames)
    const chunks: Buffer[] = []
    for (let at = 0; at < stream.length; ) {
      const size = 1 + random(9000)
      chunks.push(stream.subarray(at, at + size))
      at += size
    }
    const result = scan(chunks, CLIENT_TO_SERVER, dropOpcodes(0x9))
    assert.equal(result.scanner.frames, 60)
    assert.equal(result.scanner.messages, expected.length)

    const receiver = new Receiver({ isServer: true })
    const received: string[] = []
    let pings = 0
    receiver.on('message', (data: Buffer) => received.push(`${data.length}:${data.length ? data[0] : ''}`))
    receiver.on('ping', () => pings++)
    receiver.write(result.output)
    for (let turn = 0; turn < 100 && received.length < expected.length; turn++) await nextTurn()
    assert.equal(pings, 0)
    assert.deepEqual(received, expected.map((entry) => (entry.startsWith('0:') ? '0:' : entry)))
  })
})

function quiet(): ScannerEvents {
  return { onFrame: () => FORWARD, onMessage: () => {}, onViolation: (code, reason) => assert.fail(`violation ${code} ${reason}`) }
}
