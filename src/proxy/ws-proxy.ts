import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { SiteConfig } from '../config/schema.js'
import type { OriginPool } from './balancer/origin-pool.js'
import type { Origin } from './balancer/origin.js'
import { buildOriginRequestHeaders, HOP_BY_HOP } from './forwarded-headers.js'
import { requestOriginUpgrade, OriginHandshakeError, type HandshakeResult } from './origin-handshake.js'
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
  const abort = new AbortController()
  const onClientGone = (): void => abort.abort()
  socket.once('close', onClientGone)
  socket.on('error', () => {})
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
        }, abort.signal)
      } catch (error) {
        pool.release(origin)
        if (abort.signal.aborted) return upgrade.onEnd(undefined, undefined)
        const failure = error instanceof OriginHandshakeError ? error : new OriginHandshakeError('connect', 'ERROR', String(error))
        lastError = failure
        pool.reportFailure(origin, `${failure.code}: ${failure.message}`)
        logger.warn({ site: site.name, origin: origin.id, phase: failure.phase, err: failure.code }, 'origin handshake failed')
        if (failure.phase === 'response') break // the origin may have acted on the request: do not replay it
        continue
      }
      if (abort.signal.aborted) {
        pool.release(origin)
        if (result.kind === 'upgraded') result.socket.destroy()
        else result.response.destroy()
        return upgrade.onEnd(undefined, undefined)
      }
      if (result.kind === 'response') {
        if ((result.response.statusCode ?? 500) >= 500) pool.reportFailure(origin, `handshake answered ${result.response.statusCode}`)
        else pool.reportSuccess(origin)
        passResponseThrough(result.response, socket, () => pool.release(origin))
        return upgrade.onEnd(undefined, undefined)
      }
      if (result.response.headers['sec-websocket-accept'] !== computeAcceptKey(upgrade.key)) {
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
  socket.write(responseHead(result.response, 'Switching Protocols'))
  const relay = new WsRelay(socket, result.socket, {
    ws: site.ws,
    allowedRsv: extensionRsvMask(headerText(result.response.headers['sec-websocket-extensions'])),
    noScan: upgrade.noScan,
  }, (end) => {
    pool.release(origin)
    upgrade.onEnd(end, undefined)
  })
  upgrade.onOpen(relay, origin)
  relay.start(upgrade.head, result.head)
  socket.resume()
  result.socket.resume()
}

/** The origin's non-101 answer (401, 403, 429, 503, …) goes to the client unchanged, body included. */
function passResponseThrough(response: IncomingMessage, socket: Socket, done: () => void): void {
  // Sent with Connection: close, so a body without Content-Length ends with the connection.
  socket.write(responseHead(response, response.statusMessage ?? ''))
  response.on('data', (chunk: Buffer) => { if (!socket.write(chunk)) response.pause() })
  socket.on('drain', () => response.resume())
  response.on('end', () => { socket.end(); done() })
  response.on('error', () => { socket.destroy(); done() })
}

/** Status line and the origin's headers with their original case, minus hop-by-hop ones. */
function responseHead(response: IncomingMessage, statusMessage: string): string {
  const upgrade = response.statusCode === 101
  let head = `HTTP/1.1 ${response.statusCode} ${statusMessage}\r\n`
  const raw = response.rawHeaders
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase()
    if (upgrade ? name !== 'upgrade' && name !== 'connection' && HOP_BY_HOP.has(name) : HOP_BY_HOP.has(name)) continue
    head += `${raw[index]}: ${raw[index + 1]}\r\n`
  }
  if (!upgrade) head += 'Connection: close\r\n'
  return `${head}\r\n`
}

function originPath(url: URL, requestPath: string): string {
  const base = url.pathname.replace(/\/+$/, '')
  return base ? `${base}${requestPath}` : requestPath
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}
