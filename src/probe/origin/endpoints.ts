import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { makePayload, sha256 } from '../payload.js'
import type { ConnectionReport, HandshakeSummary, ReportStore } from './report-store.js'

export interface EndpointContext {
  ws: WebSocket
  request: IncomingMessage
  store: ReportStore
  /** Present when the client passed `?id=…`; counters are kept for `/report`. */
  report: ConnectionReport | undefined
  /** Timers cleared when the connection closes. */
  every(ms: number, tick: () => void): void
}

/** Parses the query before the upgrade (throws QueryError → HTTP 400) and returns the handler. */
export type Endpoint = (query: URLSearchParams) => (context: EndpointContext) => void

export class QueryError extends Error {}

const MAX_BIG_SIZE = 256 * 1024 ** 2

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name)
  if (raw === null || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new QueryError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  }
  return value
}

/** Close codes an endpoint may send: RFC 6455 §7.4.1 minus the reserved ones, plus 3000-4999 (§7.4.2). */
function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)
}

/** Sends `data` as `fragments` frames (RFC 6455 §5.4) so the client side sees fragmentation too. */
function sendFragmented(ws: WebSocket, data: Buffer, binary: boolean, fragments: number): void {
  const step = Math.ceil(data.length / fragments)
  for (let index = 0; index < fragments; index++) {
    const part = data.subarray(index * step, Math.min(data.length, (index + 1) * step))
    ws.send(part, { binary, fin: index === fragments - 1 })
  }
}

function echoHandler(query: URLSearchParams): (context: EndpointContext) => void {
  const fragments = intParam(query, 'fragments', 1, 1, 64)
  const pings = intParam(query, 'pings', 0, 0, 100)
  const pingEvery = intParam(query, 'pingEvery', 100, 10, 60_000)
  return ({ ws, report, every }) => {
    ws.on('message', (data, isBinary) => sendFragmented(ws, data as Buffer, isBinary, fragments))
    if (pings === 0) return
    let sent = 0
    every(pingEvery, () => {
      if (sent >= pings) return
      ws.ping(Buffer.from(`origin-${sent++}`))
      if (report) report.pingsSent++
    })
  }
}

/** What the handshake negotiated, kept per `?id=` and sent by `/info`. */
export function handshakeSummary(request: IncomingMessage, ws: WebSocket): HandshakeSummary {
  const offered = request.headers['sec-websocket-protocol']
  return {
    offeredProtocols: offered ? offered.split(',').map((item) => item.trim()).filter(Boolean) : [],
    selectedProtocol: ws.protocol,
    offeredExtensions: request.headers['sec-websocket-extensions'] ?? null,
    negotiatedExtensions: ws.extensions,
  }
}

function handshakeInfo(request: IncomingMessage, ws: WebSocket): Record<string, unknown> {
  const pairs: [string, string][] = []
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    pairs.push([request.rawHeaders[index]!, request.rawHeaders[index + 1]!])
  }
  return {
    endpoint: 'info',
    method: request.method,
    url: request.url,
    httpVersion: request.httpVersion,
    headers: pairs,
    remoteAddress: request.socket.remoteAddress ?? null,
    remotePort: request.socket.remotePort ?? null,
    ...handshakeSummary(request, ws),
  }
}

/**
 * The reference origin's endpoints, matched on the last path segment so a path prefix added
 * or kept by the proxy under test (`/ws/echo`) still reaches them. See docs/probe.md.
 */
export const endpoints: Record<string, Endpoint> = {
  echo: echoHandler,

  info: (query) => {
    const echo = echoHandler(query)
    return (context) => {
      context.ws.send(JSON.stringify(handshakeInfo(context.request, context.ws)))
      echo(context)
    }
  },

  tick: (query) => {
    const everyMs = intParam(query, 'every', 1000, 10, 3_600_000)
    const count = intParam(query, 'count', 0, 0, 1_000_000)
    return ({ ws, every }) => {
      let seq = 0
      every(everyMs, () => {
        if (count > 0 && seq >= count) return
        ws.send(JSON.stringify({ seq: seq++, sentAt: Date.now() }))
      })
    }
  },

  close: (query) => {
    const code = intParam(query, 'code', 1000, 1000, 4999)
    const reason = query.get('reason') ?? ''
    const delay = intParam(query, 'delay', 0, 0, 600_000)
    if (!isSendableCloseCode(code)) throw new QueryError(`code ${code} may not be sent (RFC 6455 §7.4)`)
    if (Buffer.byteLength(reason) > 123) throw new QueryError('reason must be at most 123 bytes (RFC 6455 §5.5)')
    return ({ ws }) => {
      const timer = setTimeout(() => ws.close(code, reason), delay)
      ws.once('close', () => clearTimeout(timer))
    }
  },

  // Sends nothing, pings nothing: whatever closes this connection is the path's idle timeout.
  silent: () => () => {},

  big: (query) => {
    const size = intParam(query, 'size', 1024 ** 2, 0, MAX_BIG_SIZE)
    const kind = query.get('type') === 'text' ? 'text' : 'binary'
    return ({ ws }) => {
      const payload = makePayload(size, kind)
      ws.send(JSON.stringify({ size, type: kind, sha256: sha256(payload) }))
      ws.send(payload, { binary: kind === 'binary' })
    }
  },

  report: (query) => {
    const id = query.get('id')
    if (!id) throw new QueryError('id is required')
    const wait = intParam(query, 'wait', 2000, 0, 10_000)
    return ({ ws, store }) => {
      void store.get(id, wait).then((entry) => {
        ws.send(JSON.stringify(entry ?? { id, missing: true }))
        ws.close(1000, 'report sent')
      })
    }
  },
}
