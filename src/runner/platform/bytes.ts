/** Byte helpers shared by the platform. Copies are exact-size: isolated-vm copies a view's whole buffer. */
import { host } from './host-link.js'

export function isBufferSource(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value)
}

/**
 * An exact-size copy of a BufferSource. Copied into a new Uint8Array rather than with
 * ArrayBuffer.slice: V8 keeps small typed arrays on its heap, where slice always makes an
 * off-heap backing store (the copy in every ws.send() was ~30% of the platform's time per
 * echoed message).
 */
export function copyBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  const source = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  const copy = new Uint8Array(source.byteLength)
  copy.set(source)
  return copy
}

/** A view of a BufferSource without copying (for reading only). */
export function viewBytes(value: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
}

/** The bytes as an ArrayBuffer of exactly their length (no copy when already exact). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

/** Bytes ready to cross to the host: exact-size (copied only when a view is partial). */
export function exactBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes
  return bytes.slice()
}

/** UTF-8 encoding; lone surrogates become U+FFFD (WHATWG "UTF-8 encode" of a USVString). */
export function utf8Encode(text: string): Uint8Array {
  if (text.length > 256) return host<Uint8Array>('utf8-encode', text)
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code < 0x80) {
      bytes.push(code)
      continue
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1)
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
        i++
      } else {
        code = 0xfffd
      }
    }
    if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63))
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63))
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63))
  }
  return new Uint8Array(bytes)
}

/** UTF-8 decoding with replacement characters (the host's TextDecoder). */
export function utf8Decode(bytes: Uint8Array, fatal = false, ignoreBOM = false): string {
  if (bytes.length === 0) return ''
  let ascii = bytes.length <= 64
  if (ascii) {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false
        break
      }
    }
  }
  if (ascii) return String.fromCharCode(...bytes)
  return host<string>('utf8-decode', exactBytes(bytes), fatal, ignoreBOM)
}

export function hex(bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i++) text += bytes[i]!.toString(16).padStart(2, '0')
  return text
}
