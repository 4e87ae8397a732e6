/**
 * Deliberately broken proxies for the probe tests: each sits on 127.0.0.1 port 0 in front of a
 * probe-origin and breaks WebSockets in one known way, so a probe check must catch it.
 */
import { randomBytes } from 'node:crypto'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface Proxy {
  url: string
  close(): Promise<void>
}

function listen(server: Server, sockets: Set<Socket>): Promise<Proxy> {
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `ws://127.0.0.1:${port}`,
        close: () => {
          for (const socket of sockets) socket.destroy()
          return new Promise((done) => server.close(() => done()))
        },
      })
    })
  })
}

function upstream(target: string, sockets: Set<Socket>): Socket {
  const { hostname, port } = new URL(target)
  const socket = connect(Number(port), hostname)
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  return socket
}

function splice(client: Socket, origin: Socket): void {
  client.on('error', () => origin.destroy())
  origin.on('error', () => client.destroy())
  client.on('close', () => origin.destroy())
  origin.on('close', () => client.destroy())
}

/** Rewrites the HTTP request head (lines without the final blank line), then pipes bytes untouched. */
export function startHeadRewriteProxy(target: string, rewrite: (lines: string[]) => string[]): Promise<Proxy> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    let buffered: Buffer = Buffer.alloc(0)
    client.on('data', function onHead(chunk: Buffer) {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      client.off('data', onHead)
      const lines = rewrite(buffered.subarray(0, end).toString('latin1').split('\r\n'))
      const origin = upstream(target, sockets)
      splice(client, origin)
      origin.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), buffered.subarray(end + 4)]))
      client.pipe(origin)
      origin.pipe(client)
    })
  })
  return listen(server, sockets)
}

/** Passes bytes untouched but destroys both legs after `idleMs` without traffic either way. */
export function startIdleDropProxy(target: string, idleMs: number): Promise<Proxy> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const origin = upstream(target, sockets)
    splice(client, origin)
    client.pipe(origin)
    origin.pipe(client)
    // Socket timeouts count reads and writes, and everything the origin sends is written to `client`.
    client.setTimeout(idleMs, () => client.destroy())
  })
  return listen(server, sockets)
}

export interface Frame {
  fin: boolean
  /** RSV1-3 bits as in the first byte (0x70 mask); RSV1 marks a permessage-deflate message. */
  rsv: number
  opcode: number
  payload: Buffer
}

export type Direction = 'toOrigin' | 'toClient'

/** What a frame proxy does with a frame: pass frames on, or reply to the client and hang up. */
export type FrameRule = (frame: Frame, direction: Direction) => Frame[] | { hangUp: Frame }

/** RFC 6455 §5.2 framing; frames toward the origin must be masked (§5.3). */
export function encodeFrame(frame: Frame, mask: boolean): Buffer {
  const length = frame.payload.length
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8
  const head = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0))
  head[0] = (frame.fin ? 0x80 : 0) | frame.rsv | frame.opcode
  head[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127)
  if (lengthBytes === 2) head.writeUInt16BE(length, 2)
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(length), 2)
  if (!mask) return Buffer.concat([head, frame.payload])
  const key = randomBytes(4)
  key.copy(head, 2 + lengthBytes)
  const body = Buffer.from(frame.payload)
  for (let index = 0; index < body.length; index++) body[index]! ^= key[index % 4]!
  return Buffer.concat([head, body])
}

/** Cuts whole frames off the front of `buffer`; returns the frames and the unparsed rest. */
function decodeFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = []
  let offset = 0
  for (;;) {
    if (buffer.length - offset < 2) break
    const masked = (buffer[offset + 1]! & 0x80) !== 0
    let length = buffer[offset + 1]! & 0x7f
    let cursor = offset + 2
    if (length === 126) {
      if (buffer.length < cursor + 2) break
      length = buffer.readUInt16BE(cursor)
      cursor += 2
    } else if (length === 127) {
      if (buffer.length < cursor + 8) break
      length = Number(buffer.readBigUInt64BE(cursor))
      cursor += 8
    }
    const key = masked ? buffer.subarray(cursor, cursor + 4) : undefined
    if (masked) cursor += 4
    if (buffer.length < cursor + length) break
    const payload = Buffer.from(buffer.subarray(cursor, cursor + length))
    if (key) for (let index = 0; index < payload.length; index++) payload[index]! ^= key[index % 4]!
    frames.push({ fin: (buffer[offset]! & 0x80) !== 0, rsv: buffer[offset]! & 0x70, opcode: buffer[offset]! & 0x0f, payload })
    offset = cursor + length
  }
  return { frames, rest: buffer.subarray(offset) }
}

/** Forwards the handshake untouched, then decodes every frame both ways and applies a rule made per connection. */
export function startFrameProxy(target: string, makeRule: () => FrameRule): Promise<Proxy> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const rule = makeRule()
    const origin = upstream(target, sockets)
    splice(client, origin)
    const relay = (from: Socket, to: Socket, direction: Direction): void => {
      let headDone = false
      let buffered: Buffer = Buffer.alloc(0)
      from.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk])
        if (!headDone) {
          const end = buffered.indexOf('\r\n\r\n')
          if (end < 0) return
          to.write(buffered.subarray(0, end + 4))
          buffered = buffered.subarray(end + 4)
          headDone = true
        }
        const { frames, rest } = decodeFrames(buffered)
        buffered = rest
        for (const frame of frames) {
          const verdict = rule(frame, direction)
          if ('hangUp' in verdict) {
            client.end(encodeFrame(verdict.hangUp, false))
            origin.destroy()
            return
          }
          for (const out of verdict) to.write(encodeFrame(out, direction === 'toOrigin'))
        }
      })
    }
    relay(client, origin, 'toOrigin')
    relay(origin, client, 'toClient')
  })
  return listen(server, sockets)
}

export function closeFrame(code: number, reason: string): Frame {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason))
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2)
  return { fin: true, rsv: 0, opcode: 0x8, payload }
}

/** Replaces every close frame's code and reason with 1000 '' in both directions. */
export const rewriteCloseCodes = (): FrameRule => (frame) => (frame.opcode === 0x8 ? [closeFrame(1000, '')] : [frame])

/** Hangs up with 1009 (RFC 6455 §7.4.1) once a message, counted over its fragments, exceeds `limit` bytes. */
export const capMessages = (limit: number) => (): FrameRule => {
  const sizes: Record<Direction, number> = { toOrigin: 0, toClient: 0 }
  return (frame, direction) => {
    if (frame.opcode >= 0x8) return [frame]
    sizes[direction] = (frame.opcode === 0 ? sizes[direction] : 0) + frame.payload.length
    if (sizes[direction] > limit) return { hangUp: closeFrame(1009, 'message too big') }
    return [frame]
  }
}
