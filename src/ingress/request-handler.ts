import type { IncomingMessage, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'
import { proxyHttpRequest } from '../proxy/http-proxy.js'
import type { Origin } from '../proxy/balancer/origin.js'
import { welcomePage } from '../builtin/welcome-page.js'
import { ErrorCatalogue, type ErrorCode } from '../errors.js'
import { clientAddress, requestPath } from './request-info.js'
import type { IngressContext } from './upgrade-handler.js'
import type { SiteRuntime } from './site-runtime.js'
import { VERSION } from '../version.js'
import { validateUpgradeRequest } from '../protocol/handshake.js'

/** Ordinary HTTP requests: routed like upgrades, then served by a builtin or proxied. */
export function handleRequest(ingress: IngressContext, req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https', continuePending = false): void {
  if (ingress.stopping) res.shouldKeepAlive = false
  const path = requestPath(req)
  const route = ingress.routes().match(req.headers.host, path)
  if (!route) return sendError(ingress, res, 'WEDGE_NO_SITE', `host ${JSON.stringify(req.headers.host ?? '')}`)
  const site = route.runtime
  // Node emits 'upgrade' only when Connection also says "upgrade": any other request that
  // asks for a WebSocket is a malformed handshake, refused here rather than proxied as HTTP.
  if (looksLikeWebSocketHandshake(req)) return refuseBrokenHandshake(ingress, req, res, site)
  if (site.config.builtin) {
    if (continuePending) res.writeContinue()
    return serveBuiltin(site, path, req, res)
  }
  const clientIp = clientAddress(req.socket)
  const admission = site.limits.admit(clientIp, false)
  if (!admission.ok) return sendError(ingress, res, admission.code, `site "${site.name}"`)
  res.once('close', admission.release)
  if (site.config.app) {
    if (!site.app) return sendError(ingress, res, 'WEDGE_INTERNAL', `the app of site "${site.name}" is not running`)
    return site.app.handleRequest(req, res, proto, continuePending)
  }
  const pool = site.pool!
  const acquired: Origin[] = []
  res.once('close', () => { for (const origin of acquired) pool.release(origin) })
  void proxyHttpRequest<Origin>(req, res, {
    site: site.config,
    agent: site.agent!,
    clientIp,
    proto,
    continuePending,
    log: ingress.logger,
    pickOrigin(tried) {
      const origin = pool.pick(req, tried)
      if (!origin) return undefined
      pool.acquire(origin)
      acquired.push(origin)
      return { origin, url: origin.url }
    },
    onOriginResult(origin, ok, reason) {
      if (ok) pool.reportSuccess(origin)
      else pool.reportFailure(origin, reason ?? 'request failed')
    },
  })
}

function looksLikeWebSocketHandshake(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade
  return req.headers['sec-websocket-key'] !== undefined || req.headers['sec-websocket-version'] !== undefined ||
    (typeof upgrade === 'string' && /\bwebsocket\b/i.test(upgrade))
}

function refuseBrokenHandshake(ingress: IngressContext, req: IncomingMessage, res: ServerResponse, site: SiteRuntime): void {
  if (!site.config.websocket) return sendError(ingress, res, 'WEDGE_WEBSOCKET_DISABLED', `site "${site.name}"`)
  const handshake = validateUpgradeRequest(req.method ?? '', req.headers)
  if (handshake.ok) return sendError(ingress, res, 'WEDGE_BAD_CONNECTION_HEADER', 'Connection header must contain "upgrade"')
  sendError(ingress, res, handshake.code, handshake.detail, handshake.headers)
}

function serveBuiltin(site: SiteRuntime, path: string, req: IncomingMessage, res: ServerResponse): void {
  if (site.config.builtin === 'welcome' && (path === '/' || path === '/index.html')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : welcomePage(VERSION))
    return
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok\n')
    return
  }
  const hint = site.config.builtin === 'echo' ? 'this is a WebSocket echo endpoint: connect with a WebSocket client' : 'not found'
  res.writeHead(site.config.builtin === 'echo' ? 426 : 404, { 'content-type': 'text/plain; charset=utf-8', ...(site.config.builtin === 'echo' ? { upgrade: 'websocket' } : {}) })
  res.end(`${hint}\n`)
}

function sendError(ingress: IngressContext, res: ServerResponse, code: ErrorCode, detail?: string, headers: Record<string, string> = {}): void {
  ingress.counters.refused(code)
  const entry = ErrorCatalogue[code]
  const body = `${entry.status} ${STATUS_CODES[entry.status] ?? ''}: ${entry.message}${detail ? ` (${detail})` : ''}\n`
  res.writeHead(entry.status, { 'content-type': 'text/plain; charset=utf-8', 'x-wedge-error': code, ...headers })
  res.end(body)
}
