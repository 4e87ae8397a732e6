import { Buffer } from 'node:buffer'

/** An origin's answer to the handshake, as read off the wire (RFC 9112 §4, §5). */
export interface OriginResponse {
  readonly statusCode: number
  /** The reason phrase as sent (may be empty). */
  readonly statusMessage: string
  /** Field names and values in order, names with their original case: [name, value, name, value, …]. */
  readonly rawHeaders: readonly string[]
  /** Sec-WebSocket-Accept; repeated fields joined with ", " (so a repeated one never matches). */
  readonly accept: string | undefined
  /** Sec-WebSocket-Extensions, repeated fields joined with ", " (one list, RFC 9110 §5.3). */
  readonly extensions: string | undefined
  /** Content-Length, validated; undefined when absent. */
  readonly contentLength: number | undefined
  /** Transfer-Encoding as sent (joined), undefined when absent. */
  readonly transferEncoding: string | undefined
}

/** Why a response head was refused; the codes follow llhttp's, which Node's client used before. */
export class ResponseHeadError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** Longest response head accepted (status line + fields + empty line). */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/
// RFC 9110 §5.6.2 tchar
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// field-value characters: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5); no CR, LF or NUL
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const DIGITS = /^\d{1,15}$/

/**
 * Incremental reader of one HTTP/1.1 response head. `push` returns how many bytes of the
 * chunk belong to the head once it is complete, or -1 when more are needed; a malformed or
 * oversized head throws a ResponseHeadError. Chunks are not retained: a split head is copied.
 */
export class ResponseHeadReader {
  /** Bytes of a head split over chunks (copied: chunks may be reused buffers). */
  #held: Buffer | undefined
  #heldLength = 0
  #response: OriginResponse | undefined

  get response(): OriginResponse | undefined {
    return this.#response
  }

  push(chunk: Buffer): number {
    if (this.#held === undefined) {
      const end = headEnd(chunk, 0)
      if (end !== -1) return this.#complete(chunk, end, 0)
      this.#hold(chunk)
      return -1
    }
    const before = this.#heldLength
    this.#hold(chunk)
    const end = headEnd(this.#held.subarray(0, this.#heldLength), Math.max(0, before - 3))
    return end === -1 ? -1 : this.#complete(this.#held, end, before)
  }

  #complete(buf: Buffer, end: number, heldBefore: number): number {
    if (end > MAX_RESPONSE_HEAD_BYTES) throw overflow()
    this.#response = parseHead(buf.toString('latin1', 0, end))
    this.#held = undefined
    this.#heldLength = 0
    return end - heldBefore
  }

  /** Appends a chunk to the held bytes, growing by doubling so a trickled head stays linear. */
  #hold(chunk: Buffer): void {
    const length = this.#heldLength + chunk.length
    if (length > MAX_RESPONSE_HEAD_BYTES + 3) {
      // Enough to find an end within the limit; anything longer is refused anyway.
      const room = MAX_RESPONSE_HEAD_BYTES + 3 - this.#heldLength
      if (room <= 0) throw overflow()
      chunk = chunk.subarray(0, room)
    }
    let held = this.#held
    if (held === undefined || held.length < this.#heldLength + chunk.length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_RESPONSE_HEAD_BYTES + 3, Math.max(1024, 2 * (this.#heldLength + chunk.length))))
      if (held !== undefined) held.copy(grown, 0, 0, this.#heldLength)
      this.#held = held = grown
    }
    chunk.copy(held, this.#heldLength)
    this.#heldLength += chunk.length
    if (this.#heldLength >= MAX_RESPONSE_HEAD_BYTES + 3 && headEnd(held.subarray(0, this.#heldLength), 0) === -1) throw overflow()
  }
}

function overflow(): ResponseHeadError {
  return new ResponseHeadError('HPE_HEADER_OVERFLOW', `response head larger than ${MAX_RESPONSE_HEAD_BYTES} bytes`)
}

/**
 * Offset just past the empty line that ends the head, or -1. Lines end with CRLF; a bare LF
 * is accepted as well (RFC 9112 §2.2), like Node's parser did.
 */
function headEnd(buf: Buffer, from: number): number {
  let at = buf.indexOf('\n', from)
  while (at !== -1) {
    const next = buf[at + 1]
    if (next === 0x0a) return at + 2
    if (next === 0x0d) {
      if (at + 2 >= buf.length) return -1
      if (buf[at + 2] === 0x0a) return at + 3
    }
    if (next === undefined) return -1
    at = buf.indexOf('\n', at + 1)
  }
  return -1
}

function parseHead(text: string): OriginResponse {
  const lines = text.split('\n')
  const status = STATUS_LINE.exec(stripCr(lines[0]!))
  if (status === null) throw new ResponseHeadError('HPE_INVALID_STATUS', 'malformed status line')
  const rawHeaders: string[] = []
  let accept: string | undefined
  let extensions: string | undefined
  let contentLength: string | undefined
  let transferEncoding: string | undefined
  // The head ends with an empty line, so the last two entries of the split are empty.
  for (let index = 1; index < lines.length - 2; index++) {
    const line = stripCr(lines[index]!)
    const first = line.charCodeAt(0)
    // RFC 9112 §5.2: obs-fold (a line starting with SP or HTAB) is refused by a proxy.
    if (first === 0x20 || first === 0x09) throw new ResponseHeadError('HPE_INVALID_HEADER_TOKEN', 'obsolete line folding in a response field')
    const colon = line.indexOf(':')
    const name = colon === -1 ? '' : line.slice(0, colon)
    // §5.1: no whitespace between the field name and the colon.
    if (!TOKEN.test(name)) throw new ResponseHeadError('HPE_INVALID_HEADER_TOKEN', 'malformed response field name')
    const value = trimOws(line, colon + 1)
    if (!FIELD_VALUE.test(value)) throw new ResponseHeadError('HPE_INVALID_HEADER_TOKEN', 'invalid character in a response field value')
    rawHeaders.push(name, value)
    switch (name.length) {
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (!DIGITS.test(value) || (contentLength !== undefined && contentLength !== value)) {
            throw new ResponseHeadError('HPE_INVALID_CONTENT_LENGTH', 'invalid Content-Length')
          }
          contentLength = value
        }
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') transferEncoding = join(transferEncoding, value)
        break
      case 20:
        if (name.toLowerCase() === 'sec-websocket-accept') accept = join(accept, value)
        break
      case 24:
        if (name.toLowerCase() === 'sec-websocket-extensions') extensions = join(extensions, value)
        break
    }
  }
  // RFC 9112 §6.3 item 3: both framings at once may be an attempt at response splitting.
  if (contentLength !== undefined && transferEncoding !== undefined) {
    throw new ResponseHeadError('HPE_UNEXPECTED_CONTENT_LENGTH', 'Content-Length together with Transfer-Encoding')
  }
  return {
    statusCode: Number(status[1]),
    statusMessage: status[2] ?? '',
    rawHeaders,
    accept,
    extensions,
    contentLength: contentLength === undefined ? undefined : Number(contentLength),
    transferEncoding,
  }
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 0x0d ? line.slice(0, -1) : line
}

/** The value between optional whitespace (SP, HTAB; RFC 9110 §5.6.3). */
function trimOws(line: string, start: number): string {
  let from = start
  let to = line.length
  while (from < to && (line.charCodeAt(from) === 0x20 || line.charCodeAt(from) === 0x09)) from++
  while (to > from && (line.charCodeAt(to - 1) === 0x20 || line.charCodeAt(to - 1) === 0x09)) to--
  return line.slice(from, to)
}

function join(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`
}
