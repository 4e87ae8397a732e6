import { createServer, type Socket } from 'node:net'
import { FrameReader, Opcode, headEnd, headerLength, upgradeResponse, writeHeader, type FrameEvents } from './ws-wire.js'

/**
 * Child-process entry: a lean WebSocket echo origin over raw `net`. `ws` would be fine for
 * correctness, but the origin shares core 0 with the load generator and every microsecond it
 * spends is a microsecond the "direct" baseline loses; this one echoes a frame by writing a
 * new header and the payload bytes it received (unmasked in place only when the key is not 0).
 *
 * Prints `{"port":N}` once listening. Exits when its stdin closes (parent gone) or on SIGTERM.
 */

const MAX_HEAD_BYTES = 16 * 1024
const MAX_LIFETIME_MS = 15 * 60_000
const SMALL_WRITE_BYTES = 16 * 1024

class EchoConnection implements FrameEvents {
  readonly #socket: Socket
  readonly #reader = new FrameReader(this)
  #head: Buffer | undefined = Buffer.alloc(0)
  #out: Buffer[] = []
  #outBytes = 0
  #opcode = 0
  #mask = 0
  #maskOffset = 0
  #control: Buffer[] = []

  constructor(socket: Socket) {
    this.#socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', () => socket.destroy())
  }

  #onData(chunk: Buffer): void {
    if (this.#head !== undefined) {
      const head: Buffer = Buffer.concat([this.#head, chunk])
      const end = headEnd(head)
      if (end === -1) {
        if (head.length > MAX_HEAD_BYTES) this.#socket.destroy()
        else this.#head = head
        return
      }
      this.#head = undefined
      if (!this.#answerHandshake(head.toString('latin1', 0, end))) return
      if (end < head.length) this.#reader.push(head, end, head.length)
    } else {
      this.#reader.push(chunk, 0, chunk.length)
    }
    this.#flush()
  }

  #answerHandshake(head: string): boolean {
    const key = /^sec-websocket-key:[ \t]*(\S+)/im.exec(head)?.[1]
    if (key === undefined) {
      // Health checks and stray HTTP requests get a plain 200 and a close.
      this.#socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')
      return false
    }
    this.#socket.write(upgradeResponse(key))
    return true
  }

  onHeader(opcode: number, fin: boolean, length: number, mask: number): void {
    this.#opcode = opcode
    this.#mask = mask
    this.#maskOffset = 0
    if (opcode >= Opcode.close) return
    const header = Buffer.allocUnsafe(headerLength(length, false))
    writeHeader(header, opcode, length, false)
    if (!fin) header[0] = header[0]! & 0x7f
    this.#queue(header)
  }

  onPayload(chunk: Buffer, start: number, end: number): void {
    if (this.#mask !== 0) this.#unmask(chunk, start, end)
    const bytes = chunk.subarray(start, end)
    if (this.#opcode >= Opcode.close) this.#control.push(Buffer.from(bytes))
    else this.#queue(bytes)
  }

  onFrameEnd(): void {
    if (this.#opcode < Opcode.close) return
    const payload = Buffer.concat(this.#control)
    this.#control = []
    if (this.#opcode === Opcode.ping) this.#queue(frame(Opcode.pong, payload))
    if (this.#opcode === Opcode.close) {
      // RFC 6455 §5.5.1: echo the status code back, then the server closes TCP first (§7.1.1).
      this.#queue(frame(Opcode.close, payload.subarray(0, 2)))
      this.#flush()
      this.#socket.end()
    }
  }

  #unmask(chunk: Buffer, start: number, end: number): void {
    const mask = this.#mask
    let offset = this.#maskOffset
    for (let at = start; at < end; at++, offset++) {
      chunk[at] = chunk[at]! ^ ((mask >>> (8 * (3 - (offset & 3)))) & 0xff)
    }
    this.#maskOffset = offset
  }

  #queue(bytes: Buffer): void {
    this.#out.push(bytes)
    this.#outBytes += bytes.length
  }

  /** One write (small) or one corked writev (large) per chunk read: a syscall per echo batch. */
  #flush(): void {
    const out = this.#out
    if (out.length === 0 || this.#socket.destroyed) return
    this.#out = []
    if (out.length === 1) this.#socket.write(out[0]!)
    else if (this.#outBytes <= SMALL_WRITE_BYTES) this.#socket.write(Buffer.concat(out, this.#outBytes))
    else {
      this.#socket.cork()
      for (const bytes of out) this.#socket.write(bytes)
      this.#socket.uncork()
    }
    this.#outBytes = 0
  }
}

function frame(opcode: number, payload: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(headerLength(payload.length, false) + payload.length)
  payload.copy(bytes, writeHeader(bytes, opcode, payload.length, false))
  return bytes
}

const server = createServer({ noDelay: true }, (socket) => new EchoConnection(socket))
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('origin: no TCP address')
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
})
const quit = (): never => process.exit(0)
process.stdin.on('end', quit).on('error', quit).resume()
process.on('SIGTERM', quit)
setTimeout(quit, MAX_LIFETIME_MS).unref()
