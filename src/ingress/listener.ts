import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import tls, { type SecureContext } from 'node:tls'
import type { Socket } from 'node:net'
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import type { ListenerConfig, ResolvedConfig } from '../config/schema.js'
import { refuseUpgrade } from './raw-response.js'
import type { ErrorCode } from '../errors.js'

export interface ListenerHandlers {
  /** `continuePending`: the client sent `Expect: 100-continue` and waits for the 100. */
  request(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https', continuePending?: boolean): void
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, proto: 'http' | 'https'): void
  /** Certificate for an SNI name (a site's `tls`), or undefined for the listener's own. */
  secureContext(servername: string): SecureContext | undefined
  refused(code: ErrorCode): void
}

/**
 * One listening socket (plain or TLS) with the slowloris and header-size guards of
 * `server`: headers must arrive within header_timeout (408) and fit max_header_size (431).
 */
export class Listener {
  readonly config: ListenerConfig
  readonly server: http.Server
  readonly proto: 'http' | 'https'

  constructor(config: ListenerConfig, server: ResolvedConfig['server'], handlers: ListenerHandlers) {
    this.config = config
    this.proto = config.tls ? 'https' : 'http'
    const options: http.ServerOptions = {
      maxHeaderSize: server.max_header_size,
      headersTimeout: server.header_timeout,
      requestTimeout: 0,
      keepAliveTimeout: server.keep_alive_timeout,
      // Node checks header timeouts on this period (default 30 s): tighten it so a slow
      // client is answered close to header_timeout.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(server.header_timeout / 4))),
    }
    if (config.tls) {
      const tlsOptions: https.ServerOptions = {
        ...options,
        cert: readFileSync(config.tls.cert),
        key: readFileSync(config.tls.key),
        SNICallback: (servername, callback) => callback(null, handlers.secureContext(servername)),
      }
      this.server = https.createServer(tlsOptions)
    } else {
      this.server = http.createServer(options)
    }
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => handlers.request(req, res, this.proto))
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handlers.request(req, res, this.proto, true))
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => handlers.upgrade(req, socket, head, this.proto))
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      const code = clientErrorCode(error)
      if (code) handlers.refused(code)
      if (code && socket.writable) refuseUpgrade(socket, code)
      else socket.destroy()
    })
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.config.address.port, this.config.address.host, () => {
        this.server.removeListener('error', reject)
        const address = this.server.address()
        if (address && typeof address === 'object') resolve({ host: address.address, port: address.port })
        else reject(new Error('listener has no address'))
      })
    })
  }

  /** Stops accepting; idle keep-alive connections are closed, busy ones finish. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeIdleConnections()
    })
  }

  closeAll(): void {
    this.server.closeAllConnections()
  }
}

function clientErrorCode(error: NodeJS.ErrnoException): ErrorCode | undefined {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW': return 'WEDGE_HEADERS_TOO_LARGE'
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'HPE_HEADERS_TIMEOUT': return 'WEDGE_HEADER_TIMEOUT'
    case 'ECONNRESET':
    case 'EPIPE': return undefined
    default: return error.code?.startsWith('HPE_') ? 'WEDGE_PROTOCOL_ERROR' : undefined
  }
}

/** Secure contexts for sites that carry their own certificate, keyed by site name. */
export function siteSecureContexts(config: ResolvedConfig): Map<string, SecureContext> {
  const contexts = new Map<string, SecureContext>()
  for (const site of config.sites) {
    if (site.tls) contexts.set(site.name, tls.createSecureContext({ cert: readFileSync(site.tls.cert), key: readFileSync(site.tls.key) }))
  }
  return contexts
}
