/** The Body mixin shared by Request and Response (Fetch standard §5.3), bodies held whole. */
import { copyBytes, isBufferSource, toArrayBuffer, utf8Decode, utf8Encode } from './bytes.js'
import { ReadableStream, readAll, streamOf } from './streams.js'
import { URLSearchParams } from './url.js'

/** A body as text (kept as a string until bytes are needed), bytes, or a stream still to be read. */
export type BodyValue = { text: string } | { bytes: Uint8Array } | { stream: ReadableStream }

export function extractBody(init: unknown): { value: BodyValue | null; contentType: string | null } {
  if (init === undefined || init === null) return { value: null, contentType: null }
  if (typeof init === 'string') return { value: { text: init }, contentType: 'text/plain;charset=UTF-8' }
  if (isBufferSource(init)) return { value: { bytes: copyBytes(init) }, contentType: null }
  if (init instanceof URLSearchParams) {
    return { value: { text: init.toString() }, contentType: 'application/x-www-form-urlencoded;charset=UTF-8' }
  }
  if (init instanceof ReadableStream) return { value: { stream: init }, contentType: null }
  return { value: { text: String(init) }, contentType: 'text/plain;charset=UTF-8' }
}

/** The body's bytes, reading a stream to its end. */
export async function bodyBytes(value: BodyValue): Promise<Uint8Array> {
  if ('text' in value) return utf8Encode(value.text)
  if ('bytes' in value) return value.bytes
  return readAll(value.stream)
}

export let bodyValueOf: (target: Body) => BodyValue | null
export let setBodyValue: (target: Body, value: BodyValue | null) => void

export class Body {
  #value: BodyValue | null = null
  #used = false

  static {
    bodyValueOf = (target) => target.#value
    setBodyValue = (target, value) => {
      target.#value = value
    }
  }

  get bodyUsed(): boolean {
    return this.#used
  }

  get body(): ReadableStream | null {
    const value = this.#value
    if (value === null) return null
    if ('stream' in value) return value.stream
    // Reading through the stream consumes the body like text() would.
    const bytes = 'text' in value ? utf8Encode(value.text) : value.bytes
    this.#value = { stream: streamOf(bytes) }
    return this.#value.stream
  }

  #take(): BodyValue | null {
    if (this.#used) throw new TypeError('Body has already been used')
    if (this.#value !== null && 'stream' in this.#value && this.#value.stream.locked) throw new TypeError('Body stream is locked')
    this.#used = true
    return this.#value
  }

  async text(): Promise<string> {
    const value = this.#take()
    if (value === null) return ''
    if ('text' in value) return value.text
    return utf8Decode(await bodyBytes(value))
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text())
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return toArrayBuffer(await this.bytes())
  }

  async bytes(): Promise<Uint8Array> {
    const value = this.#take()
    if (value === null) return new Uint8Array(0)
    const bytes = await bodyBytes(value)
    return 'bytes' in value ? bytes.slice() : bytes
  }

  async formData(): Promise<never> {
    throw new TypeError('formData() is not supported by Wedge')
  }

  async blob(): Promise<never> {
    throw new TypeError('blob() is not supported by Wedge')
  }
}

/** Copies a body for clone(): text and bytes are immutable here; a stream is read first. */
export function cloneBodyValue(target: Body): BodyValue | null {
  if (target.bodyUsed) throw new TypeError('Body has already been used')
  const value = bodyValueOf(target)
  if (value === null || !('stream' in value)) return value
  // Tee by reading the whole stream into bytes both copies share.
  const bytes = readAll(value.stream)
  const replay = (): ReadableStream => new ReadableStream({ async start(controller) { controller.enqueue(await bytes); controller.close() } })
  setBodyValue(target, { stream: replay() })
  return { stream: replay() }
}
