import type { IncomingHttpHeaders } from 'node:http'
import { WebSocket } from 'ws'
import { Inbox } from './inbox.js'

export interface ConnectOptions {
  protocols?: string[]
  /** Offer permessage-deflate (off unless asked, so the other checks measure the raw path). */
  deflate?: boolean
  query?: Record<string, string | number>
  timeoutMs?: number
}

export interface Connected {
  ws: WebSocket
  /** Attached before the handshake completes: an origin may send in the same packet as its 101. */
  inbox: Inbox
  /** Time from starting the TCP connection to the 101 response. */
  handshakeMs: number
  status: number
  responseHeaders: IncomingHttpHeaders
  localAddress: string | undefined
  localPort: number | undefined
}

/** The handshake did not produce an open connection; `status` is set when an HTTP answer came. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly responseHeaders?: IncomingHttpHeaders,
  ) {
    super(message)
  }
}

/** The probe URL is the base: endpoint `echo` on `wss://cdn.example/ws?t=1` is `wss://cdn.example/ws/echo?t=1`. */
export function endpointUrl(base: URL, endpoint: string, query: Record<string, string | number> = {}): URL {
  const url = new URL(base.href)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${endpoint}`
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value))
  return url
}

export interface Connector {
  (endpoint: string, options?: ConnectOptions): Promise<Connected>
}

/** Makes the connect function the checks use; every socket it opens is handed to `track` for cleanup. */
export function makeConnector(
  base: URL,
  settings: { headers: Record<string, string>; insecure: boolean; timeoutMs: number },
  track: (ws: WebSocket) => void,
): Connector {
  return (endpoint, options = {}) =>
    new Promise<Connected>((resolve, reject) => {
      const started = performance.now()
      const ws = new WebSocket(endpointUrl(base, endpoint, options.query), options.protocols ?? [], {
        perMessageDeflate: options.deflate ?? false,
        headers: settings.headers,
        rejectUnauthorized: !settings.insecure,
        handshakeTimeout: options.timeoutMs ?? settings.timeoutMs,
        maxPayload: 512 * 1024 ** 2,
      })
      track(ws)
      const inbox = new Inbox(ws)
      let responseHeaders: IncomingHttpHeaders = {}
      let status = 0
      let localAddress: string | undefined
      let localPort: number | undefined
      ws.on('upgrade', (response) => {
        status = response.statusCode ?? 0
        responseHeaders = response.headers
        localAddress = response.socket.localAddress
        localPort = response.socket.localPort
      })
      ws.on('unexpected-response', (request, response) => {
        request.destroy()
        reject(new ConnectError(`HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim(), response.statusCode, response.headers))
      })
      // Stays attached: after `open` a late error (reset, bad frame) only shows as a close.
      ws.on('error', (error) => reject(new ConnectError(error.message, status || undefined, status ? responseHeaders : undefined)))
      ws.once('open', () => {
        resolve({ ws, inbox, handshakeMs: performance.now() - started, status, responseHeaders, localAddress, localPort })
      })
    })
}
