import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { errors, type Dispatcher } from 'undici'
import type { SiteConfig } from '../config/schema.js'
import { ErrorCatalogue, type ErrorCode } from '../errors.js'
import { buildOriginRequestHeaders, filterResponseHeaders } from './forwarded-headers.js'
import { originKey, originServerName } from './origin-agent.js'

/** The part of a pino logger the proxy uses. */
export interface ProxyLogger {
  warn(details: object, message: string): void
}

/** Where and how one request is proxied; the callbacks let a load balancer choose origins. */
export interface HttpProxyTarget<Origin = unknown> {
  site: SiteConfig
  /** The site's pool, from `createOriginAgent`. */
  agent: Dispatcher
  /** The next origin to try, given the ones already tried; undefined when none is left. */
  pickOrigin: (tried: Set<Origin>) => { origin: Origin; url: URL } | undefined
  /** ok=true once an origin answered with response headers; ok=false with why it failed. */
  onOriginResult?: (origin: Origin, ok: boolean, reason?: string) => void
  clientIp: string
  proto: 'http' | 'https'
  /**
   * True when called from the server's 'checkContinue' event: the edge then sends
   * `100 Continue` only once an origin connection is open and the body is wanted.
   */
  continuePending?: boolean
  log?: ProxyLogger
}

/** How one try against one origin ended. */
type Attempt =
  | { kind: 'done'; broken?: string }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'failed'; code: ErrorCode; reason: string }

/** Failures that are not the origin's fault: not reported to the balancer, never retried. */
const EDGE_FAULTS: Readonly<Record<string, ErrorCode>> = {
  UND_ERR_INVALID_ARG: 'WEDGE_INTERNAL',
  UND_ERR_NOT_SUPPORTED: 'WEDGE_INTERNAL',
  // The site's agent was closed by a reload or shutdown while this request was starting.
  UND_ERR_CLOSED: 'WEDGE_SHUTTING_DOWN',
  UND_ERR_DESTROYED: 'WEDGE_SHUTTING_DOWN',
}

/**
 * Proxies one non-WebSocket request to an origin of `target.site`, streaming both bodies
 * with backpressure. Another origin is tried (up to `balance.attempts`) only when no
 * connection could be opened, so nothing of the request was sent or read. Edge-made
 * answers carry `x-wedge-error: CODE` and never name origin addresses; those are logged.
 * Resolves once the response is finished or abandoned; never rejects.
 */
export async function proxyHttpRequest<Origin>(req: IncomingMessage, res: ServerResponse, target: HttpProxyTarget<Origin>): Promise<void> {
  const { site } = target
  const tried = new Set<Origin>()
  const failures: { origin: string; reason: string }[] = []
  const client = { gone: false, abort: (): void => {} }
  const onClose = (): void => {
    if (res.writableFinished) return
    client.gone = true
    client.abort()
  }
  res.once('close', onClose)
  const warn = (details: object, message: string): void => target.log?.warn({ site: site.name, method: req.method, url: req.url, ...details }, message)
  try {
    for (let attempt = 0; attempt < site.balance.attempts && !client.gone; attempt++) {
      const pick = target.pickOrigin(tried)
      if (pick === undefined) break
      tried.add(pick.origin)
      const outcome = await forwardOnce(req, res, target, pick.url, client, (ok, reason) => target.onOriginResult?.(pick.origin, ok, reason))
      if (outcome.kind === 'done') {
        if (outcome.broken !== undefined) warn({ origin: pick.url.origin, reason: outcome.broken }, 'origin response broke after headers')
        return
      }
      failures.push({ origin: pick.url.origin, reason: outcome.reason })
      if (outcome.kind === 'failed') {
        warn({ origin: pick.url.origin, reason: outcome.reason }, 'origin request failed')
        return sendEdgeError(res, outcome.code, failureText(outcome.code, site))
      }
    }
    if (client.gone) return
    warn({ failures }, 'no origin could be reached')
    const tally = failures.length === 0 ? 'no healthy origin is available' : `tried ${failures.length}: ${failures.map((failure) => failure.reason).join(', ')}`
    sendEdgeError(res, 'WEDGE_NO_HEALTHY_ORIGIN', `no origin could be reached for site "${site.name}" (${tally})`)
  } catch (error) {
    // A bug of ours must cost one request, not the process.
    warn({ err: error }, 'http proxy failed')
    sendEdgeError(res, 'WEDGE_INTERNAL', 'internal edge error')
  } finally {
    res.off('close', onClose)
  }
}

function failureText(code: ErrorCode, site: SiteConfig): string {
  if (code === 'WEDGE_ORIGIN_TIMEOUT') return `the origin of site "${site.name}" sent no response headers within ${site.timeouts.response} ms`
  if (code === 'WEDGE_INTERNAL') return 'internal edge error'
  if (code === 'WEDGE_SHUTTING_DOWN') return 'the edge is reloading or shutting down; retry'
  if (code === 'WEDGE_ORIGIN_BAD_RESPONSE') return `the origin of site "${site.name}" sent an invalid response`
  return `the connection to the origin of site "${site.name}" failed before a response`
}

function forwardOnce<Origin>(
  req: IncomingMessage,
  res: ServerResponse,
  target: HttpProxyTarget<Origin>,
  url: URL,
  client: { gone: boolean; abort: () => void },
  report: (ok: boolean, reason?: string) => void,
): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    const body = hasBody(req) ? new ClientBody(req, target.continuePending === true ? res : undefined) : null
    const relay = new ResponseRelay({ res, body, client, report, resolve })
    client.abort = () => relay.abortForClient()
    const headers = buildOriginRequestHeaders(req.headers, {
      clientIp: target.clientIp,
      proto: target.proto,
      host: req.headers.host,
      preserveHost: target.site.preserve_host,
      originHost: url.host,
      websocket: false,
    })
    // The edge answers Expect itself (RFC 9110 §10.1.1); undici refuses to send it.
    delete headers.expect
    // `servername` is a runtime option of undici's Request that its types leave out.
    const options: Dispatcher.DispatchOptions & { servername: string } = {
      origin: originKey(url),
      path: originPath(url, req.url),
      method: req.method ?? 'GET',
      headers,
      body,
      servername: originServerName(target.site, url),
    }
    target.agent.dispatch(options, relay)
  })
}

/** RFC 9112 §6.3: a request has a body exactly when it has Content-Length or Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/**
 * The origin-form path (an absolute-form target, RFC 9112 §3.2.2, is reduced to it) under
 * the origin URL's own path, as the WebSocket forwarding does.
 */
function originPath(origin: URL, target: string | undefined): string {
  let path = target === undefined || target === '' ? '/' : target
  if (!path.startsWith('/')) {
    try {
      const url = new URL(path)
      path = `${url.pathname}${url.search}`
    } catch { /* left as sent: undici refuses it and the client gets an error answer */ }
  }
  const base = origin.pathname.replace(/\/+$/, '')
  return base === '' ? path : `${base}${path}`
}

/**
 * The client's request body as handed to one origin attempt. It reads from the client only
 * when undici pulls, which happens once a connection is open: an attempt that never
 * connected leaves the client's body untouched for the next origin. Backpressure: nothing
 * is read from the client while undici's buffer is full.
 */
class ClientBody extends Readable {
  #source: IncomingMessage
  #continueTo: ServerResponse | undefined
  #wanted = false
  touched = false

  constructor(source: IncomingMessage, continueTo: ServerResponse | undefined) {
    super()
    this.#source = source
    this.#continueTo = continueTo
  }

  override _read(): void {
    this.#wanted = true
    if (!this.touched) this.#attach()
    this.#pump()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#source.off('readable', this.#pump).off('end', this.#onEnd).off('error', this.#onError).off('close', this.#onClose)
    callback(error)
  }

  #attach(): void {
    this.touched = true
    this.#source.on('readable', this.#pump).once('end', this.#onEnd).once('error', this.#onError).once('close', this.#onClose)
    // RFC 9110 §10.1.1: the client waits for 100 before sending; an origin is ready now.
    if (this.#continueTo !== undefined && !this.#continueTo.headersSent) this.#continueTo.writeContinue()
  }

  #pump = (): void => {
    while (this.#wanted) {
      const chunk = this.#source.read() as Buffer | null
      if (chunk === null) return
      this.#wanted = this.push(chunk)
    }
  }

  #onEnd = (): void => {
    this.push(null)
  }

  #onError = (error: Error): void => {
    this.destroy(error)
  }

  #onClose = (): void => {
    if (!this.#source.complete) this.destroy(new Error('client closed the connection before sending the whole body'))
  }
}

interface RelayContext {
  res: ServerResponse
  body: ClientBody | null
  client: { gone: boolean }
  report: (ok: boolean, reason?: string) => void
  resolve: (attempt: Attempt) => void
}

/** Relays one origin response to the client as undici delivers it. */
class ResponseRelay implements Dispatcher.DispatchHandler {
  #res: ServerResponse
  #context: RelayContext
  #controller: Dispatcher.DispatchController | undefined
  #connected = false
  #responding = false
  #settled = false

  constructor(context: RelayContext) {
    this.#context = context
    this.#res = context.res
  }

  abortForClient(): void {
    // Before onRequestStart there is nothing to abort yet; onRequestStart checks client.gone.
    this.#controller?.abort(new errors.RequestAbortedError('client went away'))
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    this.#connected = true
    if (this.#context.client.gone) controller.abort(new errors.RequestAbortedError('client went away'))
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (statusCode < 200) {
      // 103 Early Hints (RFC 8297) is worth passing on; other interim answers are not.
      if (statusCode === 103 && headers.link !== undefined) this.#res.writeEarlyHints({ link: headers.link })
      return
    }
    this.#context.report(true)
    try {
      this.#res.writeHead(statusCode, statusMessage || undefined, filterResponseHeaders(headers))
      // A streamed answer (no length: SSE, long poll) shows its headers now; a sized one
      // sends them together with its first bytes.
      if (headers['content-length'] === undefined) this.#res.flushHeaders()
    } catch (error) {
      // Node refused a header the origin sent (invalid characters): the origin is at fault.
      this.#settle({ kind: 'failed', code: 'WEDGE_ORIGIN_BAD_RESPONSE', reason: reasonOf(error) })
      controller.abort(error as Error)
      return
    }
    this.#responding = true
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#res.write(chunk) || controller.paused) return
    controller.pause()
    this.#res.once('drain', () => controller.resume())
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    const forwarded = filterResponseHeaders(trailers)
    // Node sends trailers only on a chunked response and drops them otherwise.
    if (Object.keys(forwarded).length > 0) this.#res.addTrailers(forwarded)
    this.#res.end()
    this.#settle({ kind: 'done' })
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return
    if (this.#responding) {
      // The status line is gone already: the only honest signal left is a broken response.
      this.#res.destroy()
      return this.#settle({ kind: 'done', broken: reasonOf(error) })
    }
    if (this.#context.client.gone) return this.#settle({ kind: 'done' })
    const reason = reasonOf(error)
    const code = (error as { code?: string }).code ?? ''
    const edgeFault = EDGE_FAULTS[code]
    if (edgeFault !== undefined) return this.#settle({ kind: 'failed', code: edgeFault, reason })
    this.#context.report(false, reason)
    // Before onRequestStart no connection was open, so not a byte was sent or read.
    if (!this.#connected && this.#context.body?.touched !== true) return this.#settle({ kind: 'unreachable', reason })
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return this.#settle({ kind: 'failed', code: 'WEDGE_ORIGIN_TIMEOUT', reason })
    this.#settle({ kind: 'failed', code: 'WEDGE_ORIGIN_GONE', reason })
  }

  #settle(attempt: Attempt): void {
    if (this.#settled) return
    this.#settled = true
    this.#context.body?.destroy()
    this.#context.resolve(attempt)
  }
}

function reasonOf(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout'
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'response timeout'
  return code ?? message ?? String(error)
}

/** Writes an edge-made error answer, or breaks the response if its status is already sent. */
function sendEdgeError(res: ServerResponse, code: ErrorCode, text: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  // Whatever an origin managed to set before failing must not leak into the edge's answer.
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  const { status } = ErrorCatalogue[code]
  const body = `${status} ${STATUS_CODES[status]}: ${text}\n`
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-wedge-error': code,
  })
  res.end(body)
}
