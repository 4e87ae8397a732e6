import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { validateUpgradeRequest } from '../protocol/handshake.js'
import { proxyUpgrade } from '../proxy/ws-proxy.js'
import type { WsRelay } from '../proxy/ws-relay.js'
import type { FrameScanner } from '../protocol/frame-scanner.js'
import { ErrorCatalogue, type ErrorCode } from '../errors.js'
import { refuseUpgrade } from './raw-response.js'
import { newConnectionId, type ConnectionRegistry, type LiveConnection } from './connections.js'
import type { RoutingTable, Routable } from './router.js'
import type { SiteRuntime } from './site-runtime.js'
import { clientAddress, requestPath } from './request-info.js'
import type { EdgeCounters } from './edge-counters.js'

export interface SiteRoute extends Routable {
  readonly runtime: SiteRuntime
}

export interface IngressContext {
  routes(): RoutingTable<SiteRoute>
  readonly registry: ConnectionRegistry
  readonly logger: Logger
  readonly counters: EdgeCounters
  readonly stopping: boolean
  readonly noScan: boolean
}

/**
 * The path of every upgrade request: route by Host and path, check the site allows
 * WebSockets, validate the handshake (RFC 6455 §4.2.1), admit against the site's abuse
 * limits, then hand over to the builtin endpoint or the origin proxy.
 */
export function handleUpgrade(ingress: IngressContext, req: IncomingMessage, socket: Socket, head: Buffer, proto: 'http' | 'https'): void {
  socket.on('error', () => {})
  socket.pause()
  let siteName: string | undefined
  const refuse = (code: ErrorCode, detail?: string, headers?: Record<string, string>): void => {
    ingress.counters.refused(code, siteName)
    refuseUpgrade(socket, code, detail, headers)
  }
  if (ingress.stopping) return refuse('WEDGE_SHUTTING_DOWN')
  const path = requestPath(req)
  const route = ingress.routes().match(req.headers.host, path)
  if (!route) return refuse('WEDGE_NO_SITE', `host ${JSON.stringify(req.headers.host ?? '')}`)
  const site = route.runtime
  siteName = site.name
  if (!site.config.websocket) return refuse('WEDGE_WEBSOCKET_DISABLED', `site "${site.name}"`)
  const handshake = validateUpgradeRequest(req.method ?? '', req.headers)
  if (!handshake.ok) {
    return refuse(handshake.code, handshake.detail, handshake.code === 'WEDGE_BAD_WEBSOCKET_VERSION' ? { 'Sec-WebSocket-Version': '13' } : undefined)
  }
  const clientIp = clientAddress(socket)
  const admission = site.limits.admit(clientIp, true)
  if (!admission.ok) return refuse(admission.code, `site "${site.name}"`)
  const base = { id: newConnectionId(), site: site.name, clientIp, path, startedAt: Date.now() }
  const refused = (code: ErrorCode | undefined): void => { if (code) ingress.counters.refused(code, site.name) }
  const log = ingress.logger

  if (site.config.app) {
    if (!site.app) {
      admission.release()
      return refuse('WEDGE_INTERNAL', `the app of site "${site.name}" is not running`)
    }
    site.app.handleUpgrade(req, socket, head, proto, {
      connectionId: base.id, clientIp, path,
      opened(close, traffic) {
        ingress.registry.add({
          ...base, upstream: `app:${site.name}`, kind: 'app', traffic,
          close: (code, reason) => typeof code === 'number' ? close(code, reason ?? '') : close(ErrorCatalogue[code].close, reason ?? ErrorCatalogue[code].message),
        })
        ingress.counters.accepted(site.name)
      },
      ended(opened, end) {
        admission.release()
        if (opened) ingress.registry.delete(base.id, end)
      },
    })
    return
  }

  if (site.config.builtin) {
    if (site.config.builtin === 'welcome' && path !== '/echo') {
      admission.release()
      return refuse('WEDGE_NO_SITE', `site "${site.name}" serves WebSockets at /echo`)
    }
    site.echo.handleUpgrade(req, socket, head, (closeSocket, traffic) => {
      const close = (code: ErrorCode | number, reason?: string): void => {
        if (typeof code === 'number') closeSocket(code, reason ?? '')
        else closeSocket(ErrorCatalogue[code].close, reason ?? ErrorCatalogue[code].message)
      }
      ingress.registry.add({ ...base, upstream: 'builtin:echo', kind: 'builtin', traffic, close })
      ingress.counters.accepted(site.name)
      log.info({ event: 'ws_open', id: base.id, site: site.name, origin: 'builtin:echo', client_ip: clientIp, path }, 'websocket open')
    }, (code) => {
      admission.release()
      ingress.registry.delete(base.id, { closeCode: code, closedBy: 'client' })
      log.info({ event: 'ws_close', id: base.id, site: site.name, client_ip: clientIp, duration_ms: Date.now() - base.startedAt, close_code: code }, 'websocket closed')
    })
    // ws attached its listeners synchronously; the socket was paused on arrival.
    socket.resume()
    return
  }

  let relay: WsRelay | undefined
  let originId = ''
  // Built only when the level is on: at `warn` a handshake builds no log objects.
  const logInfo = log.isLevelEnabled('info')
  void proxyUpgrade({
    req, socket, head, clientIp, proto,
    key: handshake.key,
    site: site.config,
    pool: site.pool!,
    logger: log,
    noScan: ingress.noScan,
    onOpen(opened, origin) {
      relay = opened
      originId = origin.id
      ingress.registry.add(new ProxiedConnection(base.id, site.name, clientIp, path, base.startedAt, origin.id, opened))
      ingress.counters.accepted(site.name)
      if (logInfo) log.info({ event: 'ws_open', id: base.id, site: site.name, origin: origin.id, client_ip: clientIp, path }, 'websocket open')
    },
    onEnd(end, refusal) {
      admission.release()
      refused(refusal)
      if (!relay || !end) return
      ingress.registry.delete(base.id, { closeCode: end.closeCode, closedBy: end.closedBy, error: end.error })
      if (end.error) ingress.counters.limitHit(end.error, site.name)
      if (!logInfo) return
      const { fromClient, fromOrigin } = relay.counters()
      log.info({
        event: 'ws_close', id: base.id, site: site.name, origin: originId, client_ip: clientIp,
        duration_ms: Date.now() - base.startedAt,
        from_client: fromClient, from_origin: fromOrigin,
        close_code: end.closeCode, close_reason: end.closeReason, closed_by: end.closedBy, error: end.error,
      }, 'websocket closed')
    },
  }).catch((error: unknown) => {
    log.error({ err: error, site: site.name }, 'websocket proxy failed')
    admission.release()
    refuseUpgrade(socket, 'WEDGE_INTERNAL')
  })
}

/** The registry entry of a proxied WebSocket: its counters are the relay's scanners. */
class ProxiedConnection implements LiveConnection {
  readonly kind = 'proxy'
  readonly id: string
  readonly site: string
  readonly clientIp: string
  readonly path: string
  readonly startedAt: number
  readonly upstream: string
  readonly #relay: WsRelay
  readonly #traffic: { fromClient: FrameScanner; toClient: FrameScanner }

  constructor(id: string, site: string, clientIp: string, path: string, startedAt: number, upstream: string, relay: WsRelay) {
    this.id = id
    this.site = site
    this.clientIp = clientIp
    this.path = path
    this.startedAt = startedAt
    this.upstream = upstream
    this.#relay = relay
    this.#traffic = { fromClient: relay.upstream, toClient: relay.downstream }
  }

  traffic(): { fromClient: FrameScanner; toClient: FrameScanner } {
    return this.#traffic
  }

  close(code: ErrorCode | number, reason?: string): void {
    this.#relay.close(code, reason)
  }
}
