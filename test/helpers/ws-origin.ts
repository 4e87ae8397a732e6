import http, { type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket, type ServerOptions } from 'ws'

export interface OriginHandshake {
  headers: IncomingMessage['headers']
  url: string
  remoteAddress: string | undefined
}

export interface TestOrigin {
  port: number
  url: string
  wss: WebSocketServer
  server: http.Server
  /** Handshakes the origin accepted, in order. */
  handshakes: OriginHandshake[]
  /** Sockets open now. */
  sockets: Set<WebSocket>
  /** Pongs the origin received (a pong to an edge ping must never reach it). */
  pongs: number
  /** HTTP (non-upgrade) requests served. */
  requests: number
  close(): Promise<void>
}

export interface TestOriginOptions extends Omit<ServerOptions, 'server' | 'port' | 'noServer'> {
  /** What to do with each message; default echoes it back. */
  onMessage?: (ws: WebSocket, data: Buffer, isBinary: boolean) => void
  onConnection?: (ws: WebSocket, req: IncomingMessage) => void
  /** Answer upgrade requests whose path starts with this with a plain HTTP response instead. */
  refuse?: { path: string; status: number; body: string; headers?: Record<string, string> }
  /** Extra headers on the 101. */
  upgradeHeaders?: Record<string, string>
  name?: string
}

/** A real `ws` origin on 127.0.0.1 port 0 that records what reached it. */
export async function startOrigin(options: TestOriginOptions = {}): Promise<TestOrigin> {
  const { onMessage, onConnection, refuse, upgradeHeaders, name, ...wsOptions } = options
  const server = http.createServer((req, res) => {
    origin.requests++
    res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': name ?? 'origin' })
    res.end(`hello from ${name ?? 'origin'} ${req.url}`)
  })
  const wss = new WebSocketServer({ noServer: true, ...wsOptions })
  if (upgradeHeaders) {
    wss.on('headers', (headers) => {
      for (const [key, value] of Object.entries(upgradeHeaders)) headers.push(`${key}: ${value}`)
    })
  }
  server.on('upgrade', (req, socket, head) => {
    if (refuse && req.url?.startsWith(refuse.path)) {
      const extra = Object.entries(refuse.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')
      socket.end(`HTTP/1.1 ${refuse.status} Refused\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(refuse.body)}\r\n\r\n${refuse.body}`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  const sockets = new Set<WebSocket>()
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    origin.handshakes.push({ headers: req.headers, url: req.url ?? '', remoteAddress: req.socket.remoteAddress })
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('error', () => {})
    ws.on('pong', () => { origin.pongs++ })
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (onMessage) onMessage(ws, data, isBinary)
      else ws.send(data, { binary: isBinary })
    })
    onConnection?.(ws, req)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin: TestOrigin = {
    port,
    url: `http://127.0.0.1:${port}`,
    wss,
    server,
    handshakes: [],
    sockets,
    pongs: 0,
    requests: 0,
    async close() {
      for (const ws of sockets) ws.terminate()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return origin
}
