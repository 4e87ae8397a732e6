import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { SiteConfig } from '../config/schema.js'
import type { OriginPool } from './balancer/origin-pool.js'
import type { Origin } from './balancer/origin.js'
import { buildOriginRequestHeaders } from './forwarded-headers.js'
import { requestOriginUpgrade, HandshakeCancel, OriginHandshakeError, type HandshakeResult } from './origin-handshake.js'
import { clientResponseHead, passResponseThrough } from './pass-response-through.js'
import { WsRelay, type RelayEnd } from './ws-relay.js'
import { computeAcceptKey, extensionRsvMask } from '../protocol/handshake.js'
import { refuseUpgrade } from '../ingress/raw-response.js'
import type { ErrorCode } from '../errors.js'

export interface ProxyUpgrade {
  req: IncomingMessage
  socket: Socket
  head: Buffer
  key: string
  clientIp: string
  proto: 'http' | 'https'
  site: SiteConfig
  pool: OriginPool
  logger: Logger
  noScan?: boolean
  /** Called once the relay runs; the relay is the live connection (counters, close()). */
  onOpen(relay: WsRelay, origin: Origin): void
  /** Called exactly once when the attempt ends, relayed or refused. */
  onEnd(end: RelayEnd | undefined, refusal: ErrorCode | undefined): void
}

/**
 * Proxies one WebSocket handshake: picks an origin, forwards the upgrade, fails over to the
 * next origin when one cannot be connected to (bounded by balance.attempts), passes any
 * non-101 answer through unchanged, and on 101 hands both sockets to a WsRelay.
 */
export async function proxyUpgrade(upgrade: ProxyUpgrade): Promise<void> {
  const { req, socket, site, pool, logger } = upgrade
  const cancel = new HandshakeCancel()
  const onClientGone = (): void => cancel.cancel()
  socket.on('close', onClientGone)
  const tried = new Set<Origin>()
  let lastError: OriginHandshakeError | undefined
  try {
    for (let attempt = 0; attempt < site.balance.attempts; attempt++) {
      const origin = pool.pick(req, tried)
      if (!origin) break
      tried.add(origin)
      pool.acquire(origin)
      let result: HandshakeResult
      try {
        result = await requestOriginUpgrade({
          url: origin.url,
          path: originPath(origin.url, req.url ?? '/'),
          headers: buildOriginRequestHeaders(req.headers, {
            clientIp: upgrade.clientIp,
            proto: upgrade.proto,
            host: req.headers.host,
            preserveHost: site.preserve_host,
            originHost: origin.url.host,
            websocket: true,
          }),
          timeouts: site.timeouts,
          tls: site.origin_tls,
        }, cancel)
      } catch (error) {
        pool.release(origin)
        if (cancel.cancelled) return upgrade.onEnd(undefined, undefined)
        const failure = error instanceof OriginHandshakeError ? error : new OriginHandshakeError('connect', 'ERROR', String(error))
        lastError = failure
        pool.reportFailure(origin, `${failure.code}: ${failure.message}`)
        logger.warn({ site: site.name, origin: origin.id, phase: failure.phase, err: failure.code }, 'origin handshake failed')
        if (failure.phase === 'response') break // the origin may have acted on the request: do not replay it
        continue
      }
      if (cancel.cancelled) {
        pool.release(origin)
        result.socket.destroy()
        return upgrade.onEnd(undefined, undefined)
      }
      if (result.kind === 'response') {
        if (result.response.statusCode >= 500) pool.reportFailure(origin, `handshake answered ${result.response.statusCode}`)
        else pool.reportSuccess(origin)
        passResponseThrough(result.response, result.socket, result.input, result.body, socket, () => pool.release(origin))
        return upgrade.onEnd(undefined, undefined)
      }
      if (result.response.accept !== computeAcceptKey(upgrade.key)) {
        pool.release(origin)
        pool.reportFailure(origin, 'bad Sec-WebSocket-Accept')
        result.socket.destroy()
        refuseUpgrade(socket, 'WEDGE_ORIGIN_BAD_RESPONSE', 'Sec-WebSocket-Accept does not match the key')
        return upgrade.onEnd(undefined, 'WEDGE_ORIGIN_BAD_RESPONSE')
      }
      pool.reportSuccess(origin)
      socket.removeListener('close', onClientGone)
      startRelay(upgrade, origin, result)
      return
    }
    const code: ErrorCode = lastError?.phase !== 'response' ? 'WEDGE_NO_HEALTHY_ORIGIN' : lastError.code === 'ETIMEDOUT' ? 'WEDGE_ORIGIN_TIMEOUT' : 'WEDGE_ORIGIN_GONE'
    logger.warn({ site: site.name, tried: [...tried].map((origin) => origin.id), err: lastError?.code }, 'websocket handshake failed on every origin tried')
    refuseUpgrade(socket, code, `site "${site.name}", ${tried.size} origin(s) tried`)
    upgrade.onEnd(undefined, code)
  } finally {
    socket.removeListener('close', onClientGone)
  }
}

function startRelay(upgrade: ProxyUpgrade, origin: Origin, result: Extract<HandshakeResult, { kind: 'upgraded' }>): void {
  const { socket, pool, site } = upgrade
  socket.write(clientResponseHead(result.response, 'Switching Protocols'), 'latin1')
  const relay = new WsRelay(socket, result.socket, {
    ws: site.ws,
    allowedRsv: extensionRsvMask(result.response.extensions),
    noScan: upgrade.noScan,
  }, (end) => {
    pool.release(origin)
    upgrade.onEnd(end, undefined)
  })
  upgrade.onOpen(relay, origin)
  relay.start(upgrade.head, result.head, result.input)
  socket.resume()
  result.socket.resume()
}

function originPath(url: URL, requestPath: string): string {
  const base = url.pathname.replace(/\/+$/, '')
  return base ? `${base}${requestPath}` : requestPath
}
