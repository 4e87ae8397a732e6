import { Buffer } from 'node:buffer'

/**
 * One read buffer shared by every origin socket (net.Socket `onread`): Node reads origin
 * bytes straight into it and calls back, instead of allocating a Buffer per read and
 * passing it through the Readable stream machinery. This is safe because JavaScript runs
 * one callback at a time and each read is handed over synchronously: a reader must never
 * keep the view it is given past its call, and must copy whatever it keeps or writes
 * (`copyOf`), since a socket write that cannot complete at once keeps a reference to its
 * buffer. 64 KiB is what Node reads per call by default.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/**
 * Where the bytes of one origin socket go. The handshake reads the answer's head, then
 * hands the socket to the relay or to the pass-through of a refusal. Between two readers
 * the socket keeps reading (pausing and resuming would cost two epoll_ctl calls per
 * handshake) and reads are held, copied, for the next reader. That gap lasts one
 * microtask checkpoint, during which no read can happen, so nothing is held in practice.
 */
export class OriginInput {
  #reader: ((bytes: Buffer) => void) | undefined
  #held: Buffer[] | undefined

  /** The `onread` option to create the origin socket with. */
  readonly onread = {
    buffer: READ_BUFFER,
    callback: (length: number, buffer: Uint8Array): boolean => {
      const bytes = (buffer as Buffer).subarray(0, length)
      if (this.#reader !== undefined) this.#reader(bytes)
      else (this.#held ??= []).push(copyOf(bytes))
      return true
    },
  }

  /**
   * Sends held reads, then every later one, to `reader`. It gets a view of the shared
   * buffer, valid only during the call.
   */
  readTo(reader: (bytes: Buffer) => void): void {
    this.#reader = reader
    const held = this.#held
    if (held === undefined) return
    this.#held = undefined
    for (const bytes of held) reader(bytes)
  }

  /** Holds later reads (copied) until the next `readTo`. */
  hold(): void {
    this.#reader = undefined
  }
}

/** A copy of bytes read into the shared buffer, safe to write or keep. */
export function copyOf(bytes: Buffer): Buffer {
  return Buffer.from(bytes)
}
