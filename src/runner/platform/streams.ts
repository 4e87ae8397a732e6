/**
 * A deliberately small ReadableStream: enough for `new Response(stream)` and `body.getReader()`.
 * Bodies cross the process boundary whole, so a stream is only ever read to its end.
 */
import { isBufferSource, copyBytes, utf8Encode } from './bytes.js'

interface Controller {
  enqueue(chunk: unknown): void
  close(): void
  error(reason?: unknown): void
  readonly desiredSize: number
}

interface UnderlyingSource {
  start?(controller: Controller): unknown
  pull?(controller: Controller): unknown
  cancel?(reason?: unknown): unknown
}

type Waiter = () => void

export class ReadableStream {
  #chunks: unknown[] = []
  #closed = false
  #error: { reason: unknown } | undefined
  #locked = false
  #waiters: Waiter[] = []
  #source: UnderlyingSource
  #started: Promise<void>

  constructor(source: UnderlyingSource = {}) {
    this.#source = source
    const controller: Controller = {
      enqueue: (chunk) => {
        if (this.#closed) throw new TypeError('ReadableStream is closed')
        this.#chunks.push(chunk)
        this.#wake()
      },
      close: () => {
        this.#closed = true
        this.#wake()
      },
      error: (reason) => {
        this.#error = { reason }
        this.#wake()
      },
      get desiredSize() {
        return 1
      },
    }
    this.#controller = controller
    this.#started = Promise.resolve(source.start?.(controller)).then(() => undefined)
  }

  #controller: Controller

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  get locked(): boolean {
    return this.#locked
  }

  async #next(): Promise<{ value: unknown; done: boolean }> {
    await this.#started
    for (;;) {
      if (this.#error !== undefined) throw this.#error.reason
      if (this.#chunks.length > 0) return { value: this.#chunks.shift(), done: false }
      if (this.#closed) return { value: undefined, done: true }
      if (this.#source.pull !== undefined) {
        await this.#source.pull(this.#controller)
        continue
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  getReader(): { read(): Promise<{ value: unknown; done: boolean }>; releaseLock(): void; cancel(reason?: unknown): Promise<void>; closed: Promise<void> } {
    if (this.#locked) throw new TypeError('ReadableStream is locked')
    this.#locked = true
    return {
      read: () => this.#next(),
      releaseLock: () => {
        this.#locked = false
      },
      cancel: async (reason?: unknown) => this.cancel(reason),
      closed: this.#started.then(() => undefined),
    }
  }

  async cancel(reason?: unknown): Promise<void> {
    this.#chunks = []
    this.#closed = true
    await this.#source.cancel?.(reason)
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<unknown> {
    const reader = this.getReader()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      yield value
    }
  }
}

/** Reads a stream to its end and joins its chunks (strings are UTF-8 encoded). */
export async function readAll(stream: ReadableStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? utf8Encode(chunk) : isBufferSource(chunk) ? copyBytes(chunk) : null
    if (bytes === null) throw new TypeError('ReadableStream chunks must be BufferSource or string')
    parts.push(bytes)
    length += bytes.length
  }
  const joined = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    joined.set(part, offset)
    offset += part.length
  }
  return joined
}

/** A stream that yields one chunk and ends (Request/Response `body`). */
export function streamOf(bytes: Uint8Array): ReadableStream {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes)
      controller.close()
    },
  })
}
