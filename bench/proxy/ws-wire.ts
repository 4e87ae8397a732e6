import { createHash } from 'node:crypto'

/**
 * The few WebSocket wire pieces the benchmark's load generator and origin need, kept apart
 * from `src/protocol` on purpose: the bench must not measure Wedge with Wedge's own parser.
 */

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const

/** RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** The RFC 6455 §1.3 sample key; every bench connection uses it (the origin checks nothing else). */
export const CLIENT_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64')
}

export const EXPECTED_ACCEPT = acceptKey(CLIENT_KEY)

export function upgradeRequest(host: string, port: number, path = '/'): Buffer {
  return Buffer.from([
    `GET ${path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${CLIENT_KEY}`,
    'Sec-WebSocket-Version: 13',
    '', '',
  ].join('\r\n'), 'latin1')
}

export function upgradeResponse(key: string): Buffer {
  return Buffer.from([
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    '', '',
  ].join('\r\n'), 'latin1')
}

/** Header size of a frame carrying `length` payload bytes (RFC 6455 §5.2). */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0)
}

/** Writes a FIN frame header at `target[0]`; a masked header gets the all-zero key. */
export function writeHeader(target: Buffer, opcode: number, length: number, masked: boolean): number {
  target[0] = 0x80 | opcode
  const maskBit = masked ? 0x80 : 0
  let at: number
  if (length < 126) {
    target[1] = maskBit | length
    at = 2
  } else if (length < 65536) {
    target[1] = maskBit | 126
    target.writeUInt16BE(length, 2)
    at = 4
  } else {
    target[1] = maskBit | 127
    target.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    target.writeUInt32BE(length >>> 0, 6)
    at = 10
  }
  if (masked) {
    target.writeUInt32BE(0, at)
    at += 4
  }
  return at
}

/**
 * A complete single-frame message. Client frames are masked with the all-zero key: RFC 6455
 * §5.3 asks for unpredictable keys to protect caching intermediaries, which matters for a
 * browser on the open internet, not for a loopback benchmark; a zero key lets the origin echo
 * without an unmasking pass while every proxy still sees a normal masked frame.
 */
export function encodeFrame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const frame = Buffer.allocUnsafe(headerLength(payload.length, masked) + payload.length)
  const at = writeHeader(frame, opcode, payload.length, masked)
  payload.copy(frame, at)
  return frame
}

/** RFC 6455 §5.5.1 close frame with status 1000 (normal closure). */
export function closeFrame(masked: boolean): Buffer {
  const payload = Buffer.alloc(2)
  payload.writeUInt16BE(1000, 0)
  return encodeFrame(Opcode.close, payload, masked)
}

export interface FrameEvents {
  /** `mask` is the 32-bit masking key, or 0 when the frame is not masked. */
  onHeader(opcode: number, fin: boolean, length: number, mask: number): void
  onPayload(chunk: Buffer, start: number, end: number): void
  onFrameEnd(): void
}

/**
 * Incremental frame reader: bytes in, header/payload/end events out, payloads never buffered.
 * The header may arrive split across any number of chunks.
 */
export class FrameReader {
  readonly #events: FrameEvents
  readonly #header = Buffer.alloc(14)
  #have = 0
  #remaining = 0
  #inPayload = false

  constructor(events: FrameEvents) {
    this.#events = events
  }

  push(chunk: Buffer, start: number, end: number): void {
    let at = start
    while (at < end) {
      if (this.#inPayload) {
        const take = Math.min(this.#remaining, end - at)
        this.#events.onPayload(chunk, at, at + take)
        at += take
        this.#remaining -= take
        if (this.#remaining === 0) this.#finishFrame()
        continue
      }
      at = this.#readHeader(chunk, at, end)
    }
  }

  #readHeader(chunk: Buffer, start: number, end: number): number {
    let at = start
    while (at < end && this.#have < 2) this.#header[this.#have++] = chunk[at++]!
    if (this.#have < 2) return at
    const length7 = this.#header[1]! & 0x7f
    const masked = (this.#header[1]! & 0x80) !== 0
    const needed = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0)
    while (at < end && this.#have < needed) this.#header[this.#have++] = chunk[at++]!
    if (this.#have < needed) return at
    let length = length7
    let cursor = 2
    if (length7 === 126) {
      length = this.#header.readUInt16BE(2)
      cursor = 4
    } else if (length7 === 127) {
      length = this.#header.readUInt32BE(2) * 2 ** 32 + this.#header.readUInt32BE(6)
      cursor = 10
    }
    const mask = masked ? this.#header.readUInt32BE(cursor) : 0
    const first = this.#header[0]!
    this.#have = 0
    this.#events.onHeader(first & 0x0f, (first & 0x80) !== 0, length, mask)
    if (length === 0) {
      this.#events.onFrameEnd()
    } else {
      this.#inPayload = true
      this.#remaining = length
    }
    return at
  }

  #finishFrame(): void {
    this.#inPayload = false
    this.#events.onFrameEnd()
  }
}

/** Index just past the "\r\n\r\n" ending an HTTP head, or -1. */
export function headEnd(bytes: Buffer): number {
  const at = bytes.indexOf('\r\n\r\n', 0, 'latin1')
  return at === -1 ? -1 : at + 4
}
