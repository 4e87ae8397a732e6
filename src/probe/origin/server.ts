import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { endpoints, handshakeSummary, QueryError } from './endpoints.js'
import { ReportStore } from './report-store.js'

export interface ProbeOriginOptions {
  host?: string
  port?: number
  /** Subprotocols the origin accepts; the first offered one on this list is selected. Unset: accept the first offered. */
  protocols?: string[]
}

export interface ProbeOrigin {
  host: string
  port: number
  /** ws://host:port, to hand to `runProbe`. */
  url: string
  close(): Promise<void>
}

const MAX_PAYLOAD = 256 * 1024 ** 2

function endpointName(pathname: string): string {
  const segments = pathname.split('/').filter(Boolean)
  return segments.at(-1) ?? ''
}

function refuse(socket: Duplex, status: number, text: string, message: string): void {
  const body = `${message}\n`
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function onHttpRequest(request: IncomingMessage, response: ServerResponse): void {
  const name = endpointName(new URL(request.url ?? '/', 'http://origin').pathname)
  response.setHeader('Cache-Control', 'no-store')
  if (name === 'healthz') {
    response.writeHead(200, { 'Content-Type': 'application/json' })
    response.end(JSON.stringify({ ok: true, name: 'wedge-probe-origin', endpoints: Object.keys(endpoints) }))
  } else if (name in endpoints) {
    // RFC 7231 §6.5.15: a WebSocket endpoint reached without an upgrade.
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' })
    response.end('this endpoint needs a WebSocket upgrade\n')
  } else {
    response.writeHead(404, { 'Content-Type': 'text/plain' })
    response.end(`no endpoint ${JSON.stringify(name)}; try /healthz or one of ${Object.keys(endpoints).join(', ')}\n`)
  }
}

function selectProtocol(allowed: string[] | undefined) {
  return (offered: Set<string>): string | false => {
    for (const protocol of offered) if (!allowed || allowed.includes(protocol)) return protocol
    return false
  }
}

function track(ws: WebSocket, request: IncomingMessage, store: ReportStore, name: string) {
  const id = new URL(request.url ?? '/', 'http://origin').searchParams.get('id')
  if (!id || name === 'report') return undefined
  const report = store.open(id, name, handshakeSummary(request, ws))
  ws.on('message', (data) => {
    report.messages++
    report.bytes += (data as Buffer).length
  })
  ws.on('ping', () => report.pingsReceived++)
  ws.on('pong', () => report.pongsReceived++)
  ws.on('close', (code, reason) => store.closed(report, code, reason.toString()))
  return report
}

/** Starts the reference WebSocket origin that `wedge probe` talks to (see docs/probe.md). */
export async function startProbeOrigin(options: ProbeOriginOptions = {}): Promise<ProbeOrigin> {
  const store = new ReportStore()
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: true,
    handleProtocols: selectProtocol(options.protocols),
  })
  const server = createServer(onHttpRequest)
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://origin')
    const name = endpointName(url.pathname)
    const endpoint = endpoints[name]
    if (!endpoint) return refuse(socket, 404, 'Not Found', `no WebSocket endpoint ${JSON.stringify(name)}`)
    let handler
    try {
      handler = endpoint(url.searchParams)
    } catch (error) {
      if (error instanceof QueryError) return refuse(socket, 400, 'Bad Request', error.message)
      throw error
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const timers = new Set<NodeJS.Timeout>()
      ws.on('close', () => timers.forEach(clearInterval))
      ws.on('error', () => ws.terminate())
      const report = track(ws, request, store, name)
      handler({ ws, request, store, report, every: (ms, tick) => void timers.add(setInterval(tick, ms)) })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    host: address.address,
    port: address.port,
    url: `ws://${host}:${address.port}`,
    async close() {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
