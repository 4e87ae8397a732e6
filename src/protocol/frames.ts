import { Buffer } from 'node:buffer'
import { randomFillSync } from 'node:crypto'
import { CloseCode, isControl, isSendableCloseCode, Opcode } from './opcodes.js'

/** Control frame payloads are at most 125 bytes (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125
/** A close reason fits in a control payload after the 2-byte status code (§5.5.1). */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2

function headerLength(payloadLength: number, mask: boolean): number {
  const extended = payloadLength > 0xffff ? 8 : payloadLength > 125 ? 2 : 0
  return 2 + extended + (mask ? 4 : 0)
}

/** Writes the frame header into `target` and returns the payload offset (§5.2). */
function writeHeader(target: Buffer, firstByte: number, payloadLength: number, mask: boolean): number {
  target[0] = firstByte
  let offset = 2
  if (payloadLength > 0xffff) {
    target[1] = 127
    // Frames beyond 2^53 cannot be built from a Buffer anyway, so the high word fits in 32 bits.
    target.writeUInt32BE(Math.floor(payloadLength / 0x100000000), 2)
    target.writeUInt32BE(payloadLength >>> 0, 6)
    offset = 10
  } else if (payloadLength > 125) {
    target[1] = 126
    target.writeUInt16BE(payloadLength, 2)
    offset = 4
  } else {
    target[1] = payloadLength
  }
  if (!mask) return offset
  target[1] |= 0x80
  // A client must use a fresh, unpredictable key for every frame (§5.3, §10.3).
  randomFillSync(target, offset, 4)
  return offset + 4
}

function maskPayload(target: Buffer, payloadOffset: number): void {
  const keyOffset = payloadOffset - 4
  for (let i = payloadOffset; i < target.length; i++) {
    target[i] ^= target[keyOffset + ((i - payloadOffset) & 3)]
  }
}

function buildFrame(firstByte: number, payload: Buffer, mask: boolean): Buffer {
  const target = Buffer.allocUnsafe(headerLength(payload.length, mask) + payload.length)
  const payloadOffset = writeHeader(target, firstByte, payload.length, mask)
  payload.copy(target, payloadOffset)
  if (mask) maskPayload(target, payloadOffset)
  return target
}

function buildControlFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  if (payload.length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(`control frame payload ${payload.length} > ${MAX_CONTROL_PAYLOAD}`)
  }
  return buildFrame(0x80 | opcode, payload, mask)
}

/**
 * A Close frame carrying `code` and `reason`. The reason is cut to 123 UTF-8 bytes without
 * splitting a character. `CloseCode.NO_STATUS` (1005) builds a Close frame with an empty
 * body, the only way to "send" 1005 (§7.1.5). `mask: true` builds a client frame (§5.3).
 */
export function buildCloseFrame(code: number, reason: string, mask: boolean): Buffer {
  if (code === CloseCode.NO_STATUS) return buildFrame(0x80 | Opcode.CLOSE, Buffer.alloc(0), mask)
  if (!isSendableCloseCode(code)) throw new RangeError(`close code ${code} may not be sent (RFC 6455 §7.4)`)
  const reasonBytes = Buffer.byteLength(reason)
  const bodyRoom = 2 + Math.min(reasonBytes, MAX_CLOSE_REASON)
  const headerBytes = headerLength(bodyRoom, mask)
  const target = Buffer.allocUnsafe(headerBytes + bodyRoom)
  target.writeUInt16BE(code, headerBytes)
  // Buffer#write never writes a partial character, so the cut lands on a UTF-8 boundary and
  // may be shorter than the room; the frame is then a view of the one allocation.
  const written = target.write(reason, headerBytes + 2, bodyRoom - 2, 'utf8')
  const frame = written + 2 === bodyRoom ? target : target.subarray(0, headerBytes + 2 + written)
  const payloadOffset = writeHeader(frame, 0x80 | Opcode.CLOSE, 2 + written, mask)
  if (mask) maskPayload(frame, payloadOffset)
  return frame
}

/** A Ping frame (§5.5.2); throws RangeError when the payload exceeds 125 bytes. */
export function buildPingFrame(payload: Buffer, mask: boolean): Buffer {
  return buildControlFrame(Opcode.PING, payload, mask)
}

/** A Pong frame (§5.5.3); throws RangeError when the payload exceeds 125 bytes. */
export function buildPongFrame(payload: Buffer, mask: boolean): Buffer {
  return buildControlFrame(Opcode.PONG, payload, mask)
}

/**
 * A data frame (TEXT, BINARY or CONTINUATION). `fin: false` builds a non-final fragment
 * (§5.4). The payload is copied, never masked in place.
 */
export function buildDataFrame(opcode: number, payload: Buffer, mask: boolean, fin = true): Buffer {
  if (isControl(opcode) || opcode > Opcode.BINARY) throw new RangeError(`opcode ${opcode} is not a data opcode`)
  return buildFrame((fin ? 0x80 : 0) | opcode, payload, mask)
}

/**
 * Reads an (unmasked) Close payload (§5.5.1). An empty body has no code; a 1-byte body is
 * invalid and yields no code either. The reason is decoded as UTF-8 without validation.
 */
export function parseClosePayload(payload: Buffer): { code?: number; reason: string } {
  if (payload.length < 2) return { reason: '' }
  return { code: payload.readUInt16BE(0), reason: payload.toString('utf8', 2) }
}
