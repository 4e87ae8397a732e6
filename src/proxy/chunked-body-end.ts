import type { Buffer } from 'node:buffer'

/**
 * Finds where a chunked message body ends (RFC 9112 §7.1) without decoding it: the edge
 * forwards the raw chunked bytes and only needs to know when the last chunk and the
 * trailer section have passed. Chunk data is skipped in bulk; only size lines and trailer
 * lines are looked at byte by byte.
 */

const SIZE = 0 // reading hex digits of a chunk size
const EXTENSION = 1 // after the size: chunk extensions or whitespace until the line end
const SIZE_LF = 2 // saw CR after the size line
const DATA = 3 // inside chunk data, #remaining > 0
const DATA_CR = 4 // after chunk data: expecting CR (or a bare LF)
const DATA_LF = 5 // after chunk data and CR: expecting LF
const TRAILER_START = 6 // at the start of a trailer line (or the final empty line)
const TRAILER_LINE = 7 // inside a trailer field line
const TRAILER_END_LF = 8 // saw CR at the start of a line: expecting the final LF
const DONE = 9

/** More hex digits than this would overflow a safe integer (16^13 = 2^52). */
const MAX_SIZE_DIGITS = 13
/** Bounds on what is read byte by byte, so a hostile origin cannot keep the edge busy forever. */
const MAX_LINE_BYTES = 4096
const MAX_TRAILER_BYTES = 64 * 1024

export const CHUNKED_NEED_MORE = -1
export const CHUNKED_MALFORMED = -2

export class ChunkedBodyEnd {
  #state = SIZE
  #size = 0
  #digits = 0
  #remaining = 0
  #lineBytes = 0
  #trailerBytes = 0

  get done(): boolean {
    return this.#state === DONE
  }

  /**
   * Scans `chunk`; returns the offset just past the body's last byte when the body ends in
   * this chunk, CHUNKED_NEED_MORE when it continues, or CHUNKED_MALFORMED.
   */
  push(chunk: Buffer): number {
    const length = chunk.length
    let i = 0
    while (i < length) {
      const state = this.#state
      if (state === DATA) {
        const n = Math.min(this.#remaining, length - i)
        this.#remaining -= n
        i += n
        if (this.#remaining === 0) this.#state = DATA_CR
        continue
      }
      const byte = chunk[i++]!
      switch (state) {
        case SIZE: {
          const digit = hexValue(byte)
          if (digit >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) return this.#malformed()
            this.#size = this.#size * 16 + digit
          } else if (this.#digits === 0) {
            return this.#malformed()
          } else if (!this.#endOfSizeLine(byte)) {
            if (byte !== 0x3b && byte !== 0x20 && byte !== 0x09) return this.#malformed()
            this.#state = EXTENSION
          }
          break
        }
        case EXTENSION:
          if (++this.#lineBytes > MAX_LINE_BYTES) return this.#malformed()
          this.#endOfSizeLine(byte)
          break
        case SIZE_LF:
          if (byte !== 0x0a) return this.#malformed()
          this.#startChunk()
          break
        case DATA_CR:
          if (byte === 0x0d) this.#state = DATA_LF
          else if (byte === 0x0a) this.#nextSize()
          else return this.#malformed()
          break
        case DATA_LF:
          if (byte !== 0x0a) return this.#malformed()
          this.#nextSize()
          break
        case TRAILER_START:
          if (byte === 0x0d) this.#state = TRAILER_END_LF
          else if (byte === 0x0a) return this.#finish(i)
          else this.#state = TRAILER_LINE
          break
        case TRAILER_LINE:
          if (byte === 0x0a) this.#state = TRAILER_START
          break
        case TRAILER_END_LF:
          if (byte !== 0x0a) return this.#malformed()
          return this.#finish(i)
        default:
          return this.#malformed()
      }
      if (state >= TRAILER_START && ++this.#trailerBytes > MAX_TRAILER_BYTES) return this.#malformed()
    }
    return CHUNKED_NEED_MORE
  }

  /** CR or LF ends a size line; returns false for any other byte. */
  #endOfSizeLine(byte: number): boolean {
    if (byte === 0x0d) this.#state = SIZE_LF
    else if (byte === 0x0a) this.#startChunk()
    else return false
    return true
  }

  #startChunk(): void {
    if (this.#size === 0) {
      this.#state = TRAILER_START
      return
    }
    this.#remaining = this.#size
    this.#state = DATA
  }

  #nextSize(): void {
    this.#state = SIZE
    this.#size = 0
    this.#digits = 0
    this.#lineBytes = 0
  }

  #finish(at: number): number {
    this.#state = DONE
    return at
  }

  #malformed(): number {
    this.#state = DONE
    return CHUNKED_MALFORMED
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}
