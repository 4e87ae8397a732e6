import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

/**
 * Child-process entry: `node ws-servers.js echo|broadcast`, a hand-written `ws` server on
 * 127.0.0.1:0 that prints `{"port":N}` and exits when stdin closes.
 *
 * - echo: every message goes back to its sender (`ws.send`).
 * - broadcast: examples/broadcast written the fast way for `ws`: every message a socket
 *   sends goes to every OTHER socket, framed ONCE (RFC 6455 §5.2: server frames are
 *   unmasked, so the same bytes are valid on every connection), that one buffer written to
 *   each socket's TCP stream. One room for the whole server (the bench uses one path).
 */

function frame(data: Buffer, binary: boolean): Buffer {
  const length = data.length
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const out = Buffer.allocUnsafe(headerLength + length)
  out[0] = 0x80 | (binary ? 0x2 : 0x1)
  if (length < 126) {
    out[1] = length
  } else if (length < 65_536) {
    out[1] = 126
    out.writeUInt16BE(length, 2)
  } else {
    out[1] = 127
    out.writeBigUInt64BE(BigInt(length), 2)
  }
  data.copy(out, headerLength)
  return out
}

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }))
  })
}

function broadcast(wss: WebSocketServer): void {
  const sockets = new Set<Socket>()
  wss.on('connection', (ws: WebSocket, req) => {
    const raw = req.socket
    sockets.add(raw)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = frame(data, isBinary)
      for (const socket of sockets) if (socket !== raw) socket.write(bytes)
    })
    ws.on('close', () => sockets.delete(raw))
  })
}

const mode = process.argv[2]
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false, backlog: 4096 })
if (mode === 'echo') echo(wss)
else if (mode === 'broadcast') broadcast(wss)
else throw new Error('usage: ws-servers.js echo|broadcast')
wss.on('listening', () => {
  const address = wss.address()
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`)
})
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume()
