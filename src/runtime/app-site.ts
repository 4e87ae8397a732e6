import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import type { WireRequest, WireResponse } from './runner-protocol.js'
import type { SocketIo, AppUpgradeHooks } from './socket-io.js'
import { ErrorCatalogue, type ErrorCode } from '../errors.js'
import { readBody, textResponse, toWireRequest, validStatus, writeRawWireResponse, writeWireResponse } from './wire-http.js'

export type { AppUpgradeHooks }

/** The answer to a fetch event: the app's response, or why there is none. */
export type FetchResult = { response: WireResponse } | { failure: ErrorCode; detail?: string | undefined }

export interface AppSiteContext {
  site: string
  logger: Logger
  fetch(request: WireRequest): Promise<FetchResult>
}

/** Handshake response headers the edge writes itself (RFC 6455 §4.2.2) or that make no sense on a 101. */
const HANDSHAKE_HEADERS = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions', 'content-length', 'transfer-encoding', 'keep-alive'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const HANDSHAKE = Symbol('wedge.appHandshake')

interface HandshakeChoice {
  protocol: string | undefined
  headers: string[]
}
type TaggedRequest = IncomingMessage & { [HANDSHAKE]?: HandshakeChoice }

/**
 * The `ws` server completing app handshakes: no compression (frames are written pre-built
 * to many sockets, RFC 7692 would need per-socket state), the app's message size limit, and
 * the subprotocol and extra headers the app put on its 101.
 */
export function createAppWss(maxPayload: number): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload,
    handleProtocols: (offered: Set<string>, req: IncomingMessage) => {
      const chosen = (req as TaggedRequest)[HANDSHAKE]?.protocol
      return chosen && offered.has(chosen) ? chosen : false
    },
  })
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const extra = (req as TaggedRequest)[HANDSHAKE]?.headers
    if (extra) headers.push(...extra)
  })
  return wss
}

/** An HTTP request to an app site: body read whole (≤ 32 MiB), a fetch event, the response written back. */
export async function serveAppRequest(context: AppSiteContext, req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https', continuePending: boolean): Promise<void> {
  try {
    if (continuePending) res.writeContinue()
    const body = await readBody(req)
    if (body === 'too-large') {
      res.shouldKeepAlive = false
      return writeWireResponse(res, failureResponse('WEDGE_REQUEST_TOO_LARGE'), req.method ?? 'GET')
    }
    const result = await context.fetch(toWireRequest(req, proto, body))
    if (res.destroyed || res.headersSent) return
    let response = 'response' in result ? result.response : failureResponse(result.failure)
    if (!validStatus(response.status)) {
      context.logger.warn({ site: context.site, status: response.status }, 'app answered an HTTP request with an invalid status')
      response = failureResponse('WEDGE_APP_ERROR')
    }
    writeWireResponse(res, response, req.method ?? 'GET')
  } catch (error) {
    context.logger.error({ err: error, site: context.site }, 'app request failed')
    if (!res.headersSent && !res.destroyed) writeWireResponse(res, failureResponse('WEDGE_APP_ERROR'), 'GET')
    else res.destroy()
  }
}

/**
 * An upgrade to an app site (already validated and admitted by the ingress): a fetch event
 * carrying the pending socket's id. A 101 naming that socket completes the handshake with
 * `ws`; any other answer is written raw and the connection closed, as the proxy does.
 */
export async function serveAppUpgrade(context: AppSiteContext & { io: SocketIo; wss: WebSocketServer }, req: IncomingMessage, socket: Socket, head: Buffer, proto: 'http' | 'https', hooks: AppUpgradeHooks): Promise<void> {
  const record = context.io.begin(hooks)
  let clientGone = false
  // Only while the app decides: left on the socket it would be kept for the socket's life.
  const onGone = (): void => { clientGone = true }
  socket.once('close', onGone)
  try {
    const result = await context.fetch(toWireRequest(req, proto, null, record.id))
    socket.removeListener('close', onGone)
    if (clientGone || socket.destroyed) return context.io.abandon(record)
    if (!('response' in result)) {
      writeRawWireResponse(socket, failureResponse(result.failure))
      return context.io.abandon(record)
    }
    const response = result.response
    if (response.status !== 101) {
      writeRawWireResponse(socket, validStatus(response.status) ? response : failureResponse('WEDGE_APP_ERROR'))
      return context.io.abandon(record)
    }
    if (response.webSocket?.socketId !== record.id || record.mode === 'pending') {
      context.logger.warn({ site: context.site }, 'app answered an upgrade with 101 but not with the request\'s WebSocket')
      writeRawWireResponse(socket, failureResponse('WEDGE_APP_ERROR'))
      return context.io.abandon(record)
    }
    ;(req as TaggedRequest)[HANDSHAKE] = handshakeChoice(response)
    let opened = false
    context.wss.handleUpgrade(req, socket, head, (ws) => {
      opened = true
      context.io.open(record, ws, socket)
    })
    // ws destroys a socket that half-closed meanwhile without calling back.
    if (!opened) return context.io.abandon(record)
    // The ingress paused the socket on arrival; ws has attached its listeners synchronously.
    socket.resume()
  } catch (error) {
    socket.removeListener('close', onGone)
    context.logger.error({ err: error, site: context.site }, 'app upgrade failed')
    writeRawWireResponse(socket, failureResponse('WEDGE_APP_ERROR'))
    context.io.abandon(record)
  }
}

function handshakeChoice(response: WireResponse): HandshakeChoice {
  let protocol: string | undefined
  const headers: string[] = []
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase()
    if (lower === 'sec-websocket-protocol') protocol = value.trim()
    else if (!HANDSHAKE_HEADERS.has(lower) && TOKEN.test(name)) headers.push(`${name}: ${value.replace(/[\r\n]/g, '')}`)
  }
  return { protocol, headers }
}

function failureResponse(code: ErrorCode): WireResponse {
  const entry = ErrorCatalogue[code]
  return textResponse(entry.status, entry.message, `WEDGE_${code}`)
}
