import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// ws's own frame parser, used here as an independent reference to read what the edge sends.
const Receiver = (require('ws') as { Receiver: unknown }).Receiver as new (options: { isServer: boolean; maxPayload?: number }) => NodeJS.WritableStream & {
  on(event: 'conclude', listener: (code: number, reason: Buffer) => void): void
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): void
  on(event: 'error', listener: (error: Error) => void): void
}

export interface RawClient {
  socket: net.Socket
  /** Status line and headers of the handshake answer. */
  response: string
  messages: Buffer[]
  pings: Buffer[]
  closeFrame: Promise<{ code: number; reason: string }>
  /** Resolves when the TCP connection ends. */
  ended: Promise<void>
  /** Writes a frame built by hand; masked like a client unless told otherwise. */
  sendFrame(opcode: number, payload: Buffer, options?: { fin?: boolean; mask?: boolean; rsv?: number }): void
}

/** A hand-driven WebSocket client on a raw socket, for sending what `ws` refuses to send. */
export function rawConnect(port: number, path = '/', { answerPings = true, read = true } = {}): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const key = randomBytes(16).toString('base64')
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    let buffered = Buffer.alloc(0)
    const receiver = new Receiver({ isServer: false, maxPayload: 0 })
    let resolveClose!: (value: { code: number; reason: string }) => void
    const client: RawClient = {
      socket,
      response: '',
      messages: [],
      pings: [],
      closeFrame: new Promise((r) => { resolveClose = r }),
      ended: new Promise((r) => socket.once('close', () => r())),
      sendFrame(opcode, payload, options = {}) {
        socket.write(buildFrame(opcode, payload, options.fin ?? true, options.mask ?? true, options.rsv ?? 0))
      },
    }
    receiver.on('message', (data) => client.messages.push(data))
    receiver.on('ping', (data) => {
      client.pings.push(data)
      if (answerPings) client.sendFrame(0xa, data)
    })
    receiver.on('conclude', (code, reason) => resolveClose({ code, reason: reason.toString() }))
    receiver.on('error', () => {})
    const onData = (chunk: Buffer): void => {
      if (client.response) {
        receiver.write(chunk)
        return
      }
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end === -1) return
      client.response = buffered.subarray(0, end).toString('latin1')
      if (!client.response.startsWith('HTTP/1.1 101')) return reject(new Error(client.response))
      const rest = buffered.subarray(end + 4)
      if (rest.length > 0) receiver.write(rest)
      resolve(client)
      if (!read) socket.pause()
    }
    socket.on('data', onData)
    socket.on('error', () => {})
  })
}

export function buildFrame(opcode: number, payload: Buffer, fin: boolean, mask: boolean, rsv = 0): Buffer {
  const length = payload.length
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0))
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode
  header[1] = (mask ? 0x80 : 0) | (length < 126 ? length : length < 65536 ? 126 : 127)
  if (lengthBytes === 2) header.writeUInt16BE(length, 2)
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2)
  if (!mask) return Buffer.concat([header, payload])
  const key = randomBytes(4)
  key.copy(header, 2 + lengthBytes)
  const masked = Buffer.from(payload)
  for (let index = 0; index < masked.length; index++) masked[index]! ^= key[index & 3]!
  return Buffer.concat([header, masked])
}
