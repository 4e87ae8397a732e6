/** TextEncoder / TextDecoder (UTF-8 only, as in Workers), atob / btoa (WHATWG forgiving-base64). */
import { copyBytes, isBufferSource, utf8Decode, utf8Encode, viewBytes } from './bytes.js'
import { DOMException } from './dom-exception.js'

export class TextEncoder {
  get encoding(): string {
    return 'utf-8'
  }
  encode(input: unknown = ''): Uint8Array {
    return utf8Encode(String(input))
  }
  encodeInto(input: unknown, destination: Uint8Array): { read: number; written: number } {
    const text = String(input)
    let read = 0
    let written = 0
    for (const char of text) {
      const bytes = utf8Encode(char)
      if (written + bytes.length > destination.length) break
      destination.set(bytes, written)
      written += bytes.length
      read += char.length
    }
    return { read, written }
  }
}

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'])

export class TextDecoder {
  readonly fatal: boolean
  readonly ignoreBOM: boolean
  #pending: Uint8Array | null = null
  #started = false

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!UTF8_LABELS.has(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: unsupported encoding "${label}" (only utf-8)`)
    }
    this.fatal = Boolean(options.fatal)
    this.ignoreBOM = Boolean(options.ignoreBOM)
  }

  get encoding(): string {
    return 'utf-8'
  }

  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    if (input !== undefined && !isBufferSource(input)) throw new TypeError('TextDecoder.decode: input must be a BufferSource')
    let bytes = input === undefined ? new Uint8Array(0) : viewBytes(input)
    if (this.#pending !== null) {
      const joined = new Uint8Array(this.#pending.length + bytes.length)
      joined.set(this.#pending)
      joined.set(bytes, this.#pending.length)
      bytes = joined
      this.#pending = null
    }
    if (options.stream) {
      const cut = completePrefix(bytes)
      if (cut < bytes.length) this.#pending = copyBytes(bytes.subarray(cut))
      bytes = bytes.subarray(0, cut)
    }
    // A BOM is stripped only at the start of the stream.
    const text = utf8Decode(bytes, this.fatal, this.ignoreBOM || this.#started)
    this.#started = Boolean(options.stream)
    return text
  }
}

/** Length of the longest prefix that does not end inside a multi-byte sequence. */
function completePrefix(bytes: Uint8Array): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back]!
    if ((byte & 0xc0) === 0x80) continue
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return need > back ? bytes.length - back : bytes.length
  }
  return bytes.length
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('btoa requires 1 argument')
  const text = String(data)
  let output = ''
  for (let i = 0; i < text.length; i += 3) {
    const a = text.charCodeAt(i)
    const b = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
    const c = i + 2 < text.length ? text.charCodeAt(i + 2) : 0
    if (a > 255 || b > 255 || c > 255) throw new DOMException('Invalid character', 'InvalidCharacterError')
    output += ALPHABET[a >> 2]! + ALPHABET[((a & 3) << 4) | (b >> 4)]!
    output += i + 1 < text.length ? ALPHABET[((b & 15) << 2) | (c >> 6)]! : '='
    output += i + 2 < text.length ? ALPHABET[c & 63]! : '='
  }
  return output
}

export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('atob requires 1 argument')
  // Forgiving-base64 decode (https://infra.spec.whatwg.org/#forgiving-base64-decode).
  let text = String(data).replace(/[\t\n\f\r ]/g, '')
  if (text.length % 4 === 0) text = text.replace(/={1,2}$/, '')
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
    throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError')
  }
  let output = ''
  let buffer = 0
  let bits = 0
  for (let i = 0; i < text.length; i++) {
    buffer = (buffer << 6) | ALPHABET.indexOf(text[i]!)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      output += String.fromCharCode((buffer >> bits) & 255)
    }
  }
  return output
}
