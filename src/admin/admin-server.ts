import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../log/logger.js'
import { formatListen, type ListenAddress } from '../config/units.js'
import { DASHBOARD_DIR } from '../dashboard/dashboard-dir.js'
import type { AdminContext } from './admin-context.js'
import { AdminError } from './admin-errors.js'
import { adminRoutes } from './admin-routes.js'
import { BearerAuth, isLoopback, type AdminRole, type AdminToken } from './bearer-auth.js'
import { MAX_BODY_BYTES } from './request-body.js'
import { guardRequest } from './request-guard.js'
import type { RouteMatch, RouteResult, Router } from './router.js'

export interface AdminServerOptions {
  /** `admin.listen` from the config. */
  listen: ListenAddress
  /** The edge as the admin API sees it. */
  context: AdminContext
  /** `admin.tokens`. Without any, the server only listens on a loopback address. */
  tokens?: readonly AdminToken[] | undefined
  /** Largest request body; 413 beyond it. Default 64 MiB. */
  maxBodyBytes?: number | undefined
  /** Where the built dashboard is (default dist/dashboard/). */
  dashboardDir?: string | undefined
  logger?: Logger | undefined
}

/** Methods a "read" token may use (RFC 9110 §9.2.1 safe methods this API routes). */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/**
 * The admin HTTP endpoint: JSON in and out, errors as `{ "error": { "code", "message" } }`,
 * Prometheus metrics and the dashboard page. It can deploy code and close connections, so
 * without tokens it refuses to listen anywhere but loopback.
 */
export class AdminServer {
  #options: AdminServerOptions
  #router: Router
  #auth: BearerAuth | undefined
  #server: Server | undefined

  constructor(options: AdminServerOptions) {
    const tokens = options.tokens ?? []
    if (tokens.length === 0 && !isLoopback(options.listen.host)) {
      throw new Error(`admin.listen ${formatListen(options.listen)} is not a loopback address: the admin API deploys code and closes connections, so it needs admin.tokens to listen there (or listen on 127.0.0.1 / [::1])`)
    }
    this.#options = options
    this.#auth = tokens.length > 0 ? new BearerAuth(tokens) : undefined
    this.#router = adminRoutes(options.context, {
      maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
      dashboardDir: options.dashboardDir ?? DASHBOARD_DIR,
    })
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
    if (!this.#auth) this.#options.logger?.warn({ address: formatListen(this.address()) }, 'admin API without tokens: anyone who can reach this loopback address may use it (set admin.tokens)')
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
    const method = request.method ?? 'GET'
    let status: number
    let role: AdminRole | undefined
    try {
      guardRequest(request, { loopbackHostOnly: this.#auth === undefined })
      let route: RouteMatch | undefined
      let noRoute: unknown
      try {
        route = this.#router.match(method, url.pathname)
      } catch (error) {
        noRoute = error
      }
      // Authenticate before 404/405 so that without a token nothing but 401 comes back.
      if (!route?.public) role = this.#auth?.check(request.headers) ?? 'admin'
      if (!route) throw noRoute
      if (role === 'read' && !READ_METHODS.has(method)) throw new AdminError('WEDGE_ADMIN_FORBIDDEN', `${method} ${url.pathname} needs a token with role "admin"`)
      status = send(response, await route.handler({ request, params: route.params, url }))
    } catch (error) {
      status = this.#sendError(request, response, error)
    }
    // Reads (health probes, listings) are routine; changes and failures are worth a line each.
    const level = method === 'GET' && status < 400 ? 'debug' : 'info'
    this.#options.logger?.[level]({ method, path: url.pathname, status, role, ms: Math.round(performance.now() - started) }, 'admin request')
  }

  #sendError(request: IncomingMessage, response: ServerResponse, error: unknown): number {
    const known = error instanceof AdminError
      ? error
      : new AdminError('WEDGE_ADMIN_INTERNAL', error instanceof Error ? error.message : String(error))
    if (!(error instanceof AdminError)) this.#options.logger?.error({ err: error }, 'admin request failed')
    // A body left unread (refused before or while reading it) would desynchronise keep-alive.
    if (!request.complete) response.setHeader('connection', 'close')
    for (const [name, value] of Object.entries(known.headers)) response.setHeader(name, value)
    return send(response, { status: known.status, body: { error: { code: known.code, message: known.message } } })
  }
}

/** Writes the answer; returns its status. */
function send(response: ServerResponse, result: RouteResult): number {
  const status = result.status ?? 200
  if (response.headersSent) {
    response.destroy()
    return status
  }
  const data = 'raw' in result ? result.raw : `${JSON.stringify(result.body, null, 2)}\n`
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...result.headers,
    'content-length': Buffer.byteLength(data),
  })
  response.end(data)
  return status
}
