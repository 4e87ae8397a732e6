import { connect, type Socket } from 'node:net'
import { EXPECTED_ACCEPT, FrameReader, headEnd, upgradeRequest, type FrameEvents } from './ws-wire.js'

/**
 * A minimal WebSocket client over raw `net` for the load generator: one pre-built upgrade
 * request, pre-built frames sent as-is, and an incremental reader that only counts frames
 * and payload bytes. Reads land in one shared buffer (`onread`), so no per-read allocation.
 */

export interface Target {
  host: string
  port: number
}

export interface ClientHandlers {
  onOpen(client: RawClient): void
  /** A complete frame from the server; payload bytes are not kept. */
  onFrame(client: RawClient, opcode: number, length: number, fin: boolean): void
  onClose(client: RawClient, error: Error | undefined): void
}

const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024)
const requests = new Map<string, Buffer>()

export class RawClient implements FrameEvents {
  readonly socket: Socket
  /** Free slot for the workload (e.g. its index or a queue). */
  tag = 0
  readonly #handlers: ClientHandlers
  readonly #reader = new FrameReader(this)
  #head: Buffer | undefined = Buffer.alloc(0)
  #opcode = 0
  #length = 0
  #fin = true
  #closed = false
  /** True once the server answered 101 with the right accept key. */
  upgraded = false

  constructor(target: Target, handlers: ClientHandlers) {
    this.#handlers = handlers
    const key = `${target.host}:${target.port}`
    let request = requests.get(key)
    if (request === undefined) requests.set(key, request = upgradeRequest(target.host, target.port))
    const upgrade = request
    this.socket = connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      onread: { buffer: SHARED_READ_BUFFER, callback: (bytes: number, buffer: Uint8Array) => this.#onRead(bytes, buffer as Buffer) },
    })
    this.socket.on('connect', () => this.socket.write(upgrade))
    this.socket.on('error', (error) => this.#close(error))
    this.socket.on('close', () => this.#close(undefined))
  }

  get open(): boolean {
    return this.upgraded && !this.#closed
  }

  send(frame: Buffer): void {
    this.socket.write(frame)
  }

  destroy(): void {
    this.#closed = true
    this.socket.destroy()
  }

  onHeader(opcode: number, fin: boolean, length: number): void {
    this.#opcode = opcode
    this.#length = length
    this.#fin = fin
  }

  onPayload(): void {}

  onFrameEnd(): void {
    this.#handlers.onFrame(this, this.#opcode, this.#length, this.#fin)
  }

  #onRead(bytes: number, buffer: Buffer): boolean {
    if (this.#head === undefined) {
      this.#reader.push(buffer, 0, bytes)
      return true
    }
    // The shared buffer is overwritten by the next read: copy while the head is incomplete.
    const head: Buffer = Buffer.concat([this.#head, buffer.subarray(0, bytes)])
    const end = headEnd(head)
    if (end === -1) {
      this.#head = head
      return true
    }
    const text = head.toString('latin1', 0, end)
    if (!text.startsWith('HTTP/1.1 101') || !text.includes(EXPECTED_ACCEPT)) {
      this.#close(new Error(`upgrade refused: ${text.split('\r\n')[0]}`))
      this.socket.destroy()
      return false
    }
    this.#head = undefined
    this.upgraded = true
    this.#handlers.onOpen(this)
    if (end < head.length && !this.#closed) this.#reader.push(head, end, head.length)
    return true
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#handlers.onClose(this, error)
  }
}

/** Opens `count` clients, at most `concurrency` handshakes at a time; resolves when all settled. */
export function openMany(
  target: Target, count: number, concurrency: number, handlers: Omit<ClientHandlers, 'onOpen'>, timeoutMs: number,
): Promise<{ clients: RawClient[], failed: number }> {
  return new Promise((resolve) => {
    const clients: RawClient[] = []
    let started = 0
    let settled = 0
    let failed = 0
    const timer = setTimeout(() => finish(), timeoutMs)
    const finish = (): void => {
      clearTimeout(timer)
      resolve({ clients, failed: failed + (count - settled) })
    }
    const next = (): void => {
      if (started >= count) return
      const index = started++
      const client = new RawClient(target, {
        onOpen: (opened) => {
          opened.tag = index
          clients.push(opened)
          settle()
        },
        onFrame: handlers.onFrame,
        onClose: (closed, error) => {
          if (!closed.upgraded) {
            failed++
            settle()
          }
          handlers.onClose(closed, error)
        },
      })
      void client
    }
    const settle = (): void => {
      settled++
      if (settled === count) finish()
      else next()
    }
    for (let i = 0; i < Math.min(concurrency, count); i++) next()
  })
}
