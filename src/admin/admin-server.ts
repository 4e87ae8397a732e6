import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../log/logger.js'
import { formatListen, type ListenAddress } from '../config/units.js'
import { AdminError } from './admin-errors.js'
import { adminRoutes } from './admin-routes.js'
import type { AppsController } from './apps-controller.js'
import { BearerAuth, isLoopback } from './bearer-auth.js'
import { MAX_BODY_BYTES } from './request-body.js'
import type { Router } from './router.js'

export interface AdminServerOptions {
  /** `admin.listen` from the config. */
  listen: ListenAddress
  controller: AppsController
  /** Accepted bearer tokens. Without any, the server only listens on a loopback address. */
  tokens?: readonly string[] | undefined
  /** Largest request body; 413 beyond it. Default 64 MiB. */
  maxBodyBytes?: number | undefined
  logger?: Logger | undefined
}

/**
 * The admin HTTP endpoint: JSON in and out, errors as `{ "error": { "code", "message" } }`.
 * It can deploy code, so without tokens it refuses to listen anywhere but loopback.
 */
export class AdminServer {
  #options: AdminServerOptions
  #router: Router
  #auth: BearerAuth | undefined
  #server: Server | undefined

  constructor(options: AdminServerOptions) {
    const tokens = options.tokens ?? []
    if (tokens.length === 0 && !isLoopback(options.listen.host)) {
      throw new Error(`admin.listen ${formatListen(options.listen)} is not a loopback address: the admin API deploys code, so it needs access tokens to listen there (or listen on 127.0.0.1 / [::1])`)
    }
    this.#options = options
    this.#auth = tokens.length > 0 ? new BearerAuth(tokens) : undefined
    this.#router = adminRoutes(options.controller, options.maxBodyBytes ?? MAX_BODY_BYTES)
  }

  /** Starts listening; resolves with the bound address (port 0 becomes the real port). */
  async listen(): Promise<ListenAddress> {
    if (this.#server) throw new Error('admin server already listening')
    const server = createServer((request, response) => void this.#handle(request, response))
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#options.listen.port, this.#options.listen.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    return this.address()
  }

  address(): ListenAddress {
    const bound = this.#server?.address() as AddressInfo | null | undefined
    if (!bound) throw new Error('admin server is not listening')
    return { host: bound.address, port: bound.port }
  }

  /** "http://127.0.0.1:9090" */
  get url(): string {
    return `http://${formatListen(this.address())}`
  }

  /** Stops accepting connections and closes idle ones; resolves when every connection is gone. */
  async close(): Promise<void> {
    const server = this.#server
    if (!server) return
    this.#server = undefined
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    await closed
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now()
    const url = new URL(request.url ?? '/', 'http://admin.invalid')
    let status: number
    try {
      const route = this.#router.match(request.method ?? 'GET', url.pathname)
      if (!route.public) this.#auth?.check(request.headers)
      const result = await route.handler({ request, params: route.params, url })
      status = result.status ?? 200
      send(response, status, result.body)
    } catch (error) {
      status = this.#sendError(request, response, error)
    }
    // Reads (health probes, listings) are routine; changes and failures are worth a line each.
    const level = request.method === 'GET' && status < 400 ? 'debug' : 'info'
    this.#options.logger?.[level]({ method: request.method, path: url.pathname, status, ms: Math.round(performance.now() - started) }, 'admin request')
  }

  #sendError(request: IncomingMessage, response: ServerResponse, error: unknown): number {
    const known = error instanceof AdminError
      ? error
      : new AdminError('WEDGE_ADMIN_INTERNAL', error instanceof Error ? error.message : String(error))
    if (!(error instanceof AdminError)) this.#options.logger?.error({ err: error }, 'admin request failed')
    // A body left unread (refused before or while reading it) would desynchronise keep-alive.
    if (!request.complete) response.setHeader('connection', 'close')
    for (const [name, value] of Object.entries(known.headers)) response.setHeader(name, value)
    send(response, known.status, { error: { code: known.code, message: known.message } })
    return known.status
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.destroy()
  const text = `${JSON.stringify(body, null, 2)}\n`
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  response.end(text)
}
