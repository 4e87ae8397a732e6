import { Buffer } from 'node:buffer'

export interface ScannerOptions {
  /** Client→server streams must be masked (true); server→client must not be masked (false). A violation otherwise. */
  requireMask: boolean
  /** Max bytes of payload in one data message (sum of its frames); Infinity for none. Exceeding → violation 1009 at the header of the frame that crosses the limit. */
  maxMessageSize: number
  /** RSV bits allowed on the FIRST frame of a data message (e.g. 0x40 when permessage-deflate was negotiated). RSV on continuation or control frames, or bits not allowed → 1002. */
  allowedRsv: number
}

export interface FrameInfo {
  opcode: number
  fin: boolean
  rsv: number
  masked: boolean
  /** This frame's payload length. */
  payloadLength: number
  /** Absolute stream offset of the frame's first header byte. */
  start: number
  /** Control frames only: the unmasked payload (a fresh Buffer ≤ 125 bytes). */
  payload?: Buffer
}

export const FORWARD = 0
export const DROP = 1

export interface ScannerEvents {
  /**
   * Every frame, after its header is complete; for control frames only once the whole payload
   * has arrived (payload set). Return DROP to remove the frame's bytes (header+payload) from
   * the output. A DROP on the first frame of a data message drops all its continuation frames
   * too (interleaved control frames are still offered); the verdict returned for a
   * continuation frame is ignored, it follows the message's first frame.
   * The FrameInfo object is reused for the next frame: copy what you keep.
   */
  onFrame(frame: FrameInfo): 0 | 1
  /** A data message completed (its FIN frame's last payload byte passed). size = payload bytes of the message. */
  onMessage(opcode: 1 | 2, size: number, dropped: boolean): void
  /** Fatal: after this the scanner emits nothing more. `at` = absolute offset of the offending frame's first byte; all bytes before it were already emitted. closeCode 1002 (protocol) or 1009 (too big). */
  onViolation(closeCode: 1002 | 1009, reason: string, at: number): void
}

const HEADER = 0 // expecting a frame header (possibly partly held)
const PAYLOAD = 1 // inside a data frame's payload, #remaining > 0
const CLOSED = 2 // a Close frame passed or a violation happened

// #frame results that are not a byte count
const NEED_MORE = -1
const VIOLATED = -2

/** Longest prefix ever held: a 14-byte header, or a 6-byte control header and 125 bytes. */
const HOLD_CAPACITY = 14 + 125

function rsvName(rsv: number): string {
  return rsv & 0x40 ? 'RSV1' : rsv & 0x20 ? 'RSV2' : 'RSV3'
}

/**
 * Incremental RFC 6455 frame filter for one direction of a relayed connection. It parses
 * headers, validates them (§5.2-§5.5), never copies or unmasks data payloads, and emits the
 * input's own bytes (normally the chunk itself) minus dropped frames, plus injected frames
 * at frame boundaries. Chunks are never retained: held bytes are copied.
 */
export class FrameScanner {
  frames = 0
  messages = 0
  payloadBytes = 0
  wireBytes = 0
  droppedMessages = 0
  controlFrames = 0

  readonly #requireMask: boolean
  readonly #maxMessageSize: number
  readonly #allowedRsv: number
  readonly #events: ScannerEvents
  /** Reused for every onFrame call so that scanning whole data frames allocates nothing. */
  readonly #info: FrameInfo = { opcode: 0, fin: false, rsv: 0, masked: false, payloadLength: 0, start: 0, payload: undefined }
  /** Bytes of a frame prefix whose verdict is not known yet (split header, partial control frame). */
  readonly #hold = Buffer.allocUnsafe(HOLD_CAPACITY)
  #holdLength = 0
  #holdStart = 0
  #state = HEADER
  #offset = 0 // absolute offset of the next chunk's first byte
  #remaining = 0 // payload bytes left in the current data frame
  #dropping = false // the current data frame is being cut out
  #finalFrame = false // the current data frame has FIN set
  #messageOpcode = 0 // 0 when no data message is in progress
  #messageSize = 0
  #messageDropped = false
  #verdict = FORWARD // of the frame #frame committed last
  #violationCode: 1002 | 1009 = 1002
  #violationReason = ''
  #violationAt = 0
  #queue: Buffer[] | null = null // injected frames waiting for a boundary
  #inPush = false

  constructor(options: ScannerOptions, events: ScannerEvents) {
    this.#requireMask = options.requireMask
    this.#maxMessageSize = options.maxMessageSize
    this.#allowedRsv = options.allowedRsv
    this.#events = events
  }

  /** True when no frame is partly emitted (safe to write an edge frame directly). */
  get atBoundary(): boolean {
    return this.#state !== PAYLOAD || this.#dropping
  }

  /** True after a Close frame passed or a violation: further input is discarded (RFC 6455 §5.5.1). */
  get closed(): boolean {
    return this.#state === CLOSED
  }

  /**
   * Feed a chunk; `emit` is called zero or more times, in order, with slices to forward
   * (subarrays of chunk, or the chunk itself when nothing is cut; held bytes of previous
   * chunks are emitted as their own copy). The chunk is not retained.
   */
  push(chunk: Buffer, emit: (bytes: Buffer) => void): void {
    const length = chunk.length
    this.wireBytes += length
    if (this.#state === CLOSED || length === 0) return
    const base = this.#offset
    this.#offset += length
    this.#inPush = true
    let i = 0
    let from = 0 // start of the bytes to forward that are not emitted yet
    if (this.#holdLength > 0) {
      i = this.#resume(chunk, emit)
      if (i < 0) return
      from = this.#verdict === DROP ? i : 0
      if (this.#queue !== null && this.#state === HEADER) from = this.#flushAt(chunk, from, i, emit)
    }
    while (i < length && this.#state !== CLOSED) {
      if (this.#state === PAYLOAD) {
        const n = Math.min(this.#remaining, length - i)
        if (this.#dropping) {
          if (from < i) emit(chunk.subarray(from, i))
          from = i + n
        }
        i += n
        this.payloadBytes += n
        this.#remaining -= n
        if (this.#remaining === 0) {
          this.#endDataFrame()
          if (this.#queue !== null) from = this.#flushAt(chunk, from, i, emit)
        }
        continue
      }
      const consumed = this.#frame(chunk, i, length - i, base + i)
      if (consumed > 0) {
        if (this.#verdict === DROP) {
          if (from < i) emit(chunk.subarray(from, i))
          from = i + consumed
        }
        i += consumed
        if (this.#queue !== null && this.#state !== PAYLOAD) from = this.#flushAt(chunk, from, i, emit)
        continue
      }
      if (from < i) emit(chunk.subarray(from, i))
      if (consumed === VIOLATED) return this.#violate(emit)
      chunk.copy(this.#hold, 0, i)
      this.#holdLength = length - i
      this.#holdStart = base + i
      from = i = length
    }
    if (from < i) emit(from === 0 && i === length ? chunk : chunk.subarray(from, i))
    if (this.#queue !== null && this.atBoundary) this.#flushQueue(emit)
    this.#inPush = false
  }

  /**
   * Queue an edge-generated frame (ping, close) to be written into the output at the next
   * frame boundary; at once via `emit` when the output is at a boundary now. Frames held for a
   * verdict come after it. Called from inside an event callback, the frame is written after
   * the frame being reported (via the emit of the ongoing push).
   */
  inject(frame: Buffer, emit: (bytes: Buffer) => void): void {
    if (!this.#inPush && this.atBoundary) emit(frame)
    else (this.#queue ??= []).push(frame)
  }

  /** Completes the held frame prefix with the chunk's first bytes; -1 when the chunk is used up. */
  #resume(chunk: Buffer, emit: (bytes: Buffer) => void): number {
    const held = this.#holdLength
    const taken = Math.min(HOLD_CAPACITY - held, chunk.length)
    chunk.copy(this.#hold, held, 0, taken)
    const consumed = this.#frame(this.#hold, 0, held + taken, this.#holdStart)
    if (consumed === NEED_MORE) {
      this.#holdLength = held + taken
      this.#inPush = false
      return -1
    }
    this.#holdLength = 0
    if (consumed === VIOLATED) {
      this.#violate(emit)
      return -1
    }
    // The frame's bytes in this chunk stay in the zero-copy run; only the held prefix is copied.
    if (this.#verdict === FORWARD) emit(Buffer.from(this.#hold.subarray(0, held)))
    return consumed - held
  }

  /** Parses and judges the frame at buf[offset]; returns its bytes consumed, NEED_MORE or VIOLATED. */
  #frame(buf: Buffer, offset: number, available: number, start: number): number {
    if (available < 2) return NEED_MORE
    const first = buf[offset]!
    const second = buf[offset + 1]!
    const masked = second >= 0x80
    let length = second & 0x7f
    const headerLength = (length < 126 ? 2 : length === 126 ? 4 : 10) + (masked ? 4 : 0)
    if (available < headerLength) return NEED_MORE
    if (length === 126) {
      length = buf.readUInt16BE(offset + 2)
    } else if (length === 127) {
      const high = buf.readUInt32BE(offset + 2)
      if (high >= 0x80000000) return this.#fail(1002, '64-bit length with the most significant bit set', start)
      length = high * 0x100000000 + buf.readUInt32BE(offset + 6)
    }
    const opcode = first & 0x0f
    if ((opcode > 2 && opcode < 8) || opcode > 10) return this.#fail(1002, `reserved opcode 0x${opcode.toString(16)}`, start)
    if (masked !== this.#requireMask) {
      return this.#fail(1002, masked ? 'masked frame from server' : 'unmasked frame from client', start)
    }
    const info = this.#info
    info.opcode = opcode
    info.fin = first >= 0x80
    info.rsv = first & 0x70
    info.masked = masked
    info.payloadLength = length
    info.start = start
    info.payload = undefined
    if (opcode >= 8) return this.#controlFrame(buf, offset, available, headerLength)
    return this.#dataFrame(headerLength)
  }

  /** Control frames (§5.5) are judged once whole: the relay may drop them (its own pongs). */
  #controlFrame(buf: Buffer, offset: number, available: number, headerLength: number): number {
    const info = this.#info
    const length = info.payloadLength
    if (length > 125) return this.#fail(1002, `control frame payload ${length} > 125`, info.start)
    if (!info.fin) return this.#fail(1002, 'fragmented control frame', info.start)
    if (info.rsv !== 0) return this.#fail(1002, `${rsvName(info.rsv)} set on a control frame`, info.start)
    if (info.opcode === 8 && length === 1) return this.#fail(1002, 'close frame payload of 1 byte', info.start)
    const total = headerLength + length
    if (available < total) return NEED_MORE
    const payload = Buffer.allocUnsafe(length)
    const payloadOffset = offset + headerLength
    if (info.masked) {
      const keyOffset = payloadOffset - 4
      for (let k = 0; k < length; k++) payload[k] = buf[payloadOffset + k]! ^ buf[keyOffset + (k & 3)]!
    } else {
      buf.copy(payload, 0, payloadOffset, payloadOffset + length)
    }
    this.frames++
    this.controlFrames++
    this.payloadBytes += length
    info.payload = payload
    this.#verdict = this.#events.onFrame(info) === DROP ? DROP : FORWARD
    // Nothing may follow a Close frame (§5.5.1); the rest of the input is discarded.
    if (info.opcode === 8) this.#state = CLOSED
    return total
  }

  /** Data frames (§5.4, §5.6) are judged at their header; the payload streams through. */
  #dataFrame(headerLength: number): number {
    const info = this.#info
    const { opcode, rsv, start } = info
    if (opcode === 0) {
      if (this.#messageOpcode === 0) return this.#fail(1002, 'continuation frame without a message in progress', start)
      if (rsv !== 0) return this.#fail(1002, `${rsvName(rsv)} set on a continuation frame`, start)
    } else {
      if (this.#messageOpcode !== 0) return this.#fail(1002, 'data frame while a fragmented message is in progress', start)
      const unknown = rsv & ~this.#allowedRsv
      if (unknown !== 0) return this.#fail(1002, `${rsvName(unknown)} set without a negotiated extension`, start)
    }
    const size = (opcode === 0 ? this.#messageSize : 0) + info.payloadLength
    if (size > this.#maxMessageSize) return this.#fail(1009, `message of ${size} bytes exceeds limit ${this.#maxMessageSize}`, start)
    // Byte counting is exact only below 2^53; no real limit is that large.
    if (size > Number.MAX_SAFE_INTEGER) return this.#fail(1009, `message of ${size} bytes exceeds 2^53 - 1`, start)
    this.frames++
    const verdict = this.#events.onFrame(info)
    if (opcode !== 0) {
      this.#messageOpcode = opcode
      this.#messageDropped = verdict === DROP
    }
    this.#messageSize = size
    this.#verdict = this.#messageDropped ? DROP : FORWARD
    this.#dropping = this.#messageDropped
    this.#finalFrame = info.fin
    if (info.payloadLength === 0) {
      this.#endDataFrame()
    } else {
      this.#state = PAYLOAD
      this.#remaining = info.payloadLength
    }
    return headerLength
  }

  #endDataFrame(): void {
    this.#state = HEADER
    if (!this.#finalFrame) return
    const opcode = this.#messageOpcode as 1 | 2
    const size = this.#messageSize
    const dropped = this.#messageDropped
    this.#messageOpcode = 0
    this.#messageSize = 0
    this.#messageDropped = false
    this.messages++
    if (dropped) this.droppedMessages++
    this.#events.onMessage(opcode, size, dropped)
  }

  #fail(code: 1002 | 1009, reason: string, at: number): number {
    this.#violationCode = code
    this.#violationReason = reason
    this.#violationAt = at
    return VIOLATED
  }

  #violate(emit: (bytes: Buffer) => void): void {
    this.#state = CLOSED
    this.#holdLength = 0
    // Frames injected before the offending frame belong before it; the output is at a boundary.
    if (this.#queue !== null) this.#flushQueue(emit)
    this.#inPush = false
    this.#events.onViolation(this.#violationCode, this.#violationReason, this.#violationAt)
  }

  /** At a boundary with injected frames waiting: emit the run so far, then them. */
  #flushAt(chunk: Buffer, from: number, i: number, emit: (bytes: Buffer) => void): number {
    if (from < i) emit(chunk.subarray(from, i))
    this.#flushQueue(emit)
    return i
  }

  #flushQueue(emit: (bytes: Buffer) => void): void {
    const queue = this.#queue!
    this.#queue = null
    for (const frame of queue) emit(frame)
  }
}
