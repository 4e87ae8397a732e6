import type { IncomingHttpHeaders } from 'node:http'
import { isIPv6 } from 'node:net'

/**
 * Header rules shared by HTTP proxying and WebSocket handshake forwarding. Pure functions:
 * headers in, headers out, no sockets.
 */

/** Hop-by-hop fields (RFC 9110 §7.6.1): meaningful for one connection only, never forwarded. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
])

export type OutgoingHeaders = Record<string, string | string[]>
type HeadersIn = IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>

export interface ForwardContext {
  /** The client's address as the edge saw it. */
  clientIp: string
  /** The scheme the client used to reach the edge. */
  proto: 'http' | 'https'
  /** The client's Host header, if it sent one. */
  host: string | undefined
  /** Send the client's Host to the origin instead of the origin's own host:port. */
  preserveHost: boolean
  /** The origin's host[:port], as in `URL.host`. */
  originHost: string
  /** The request is a WebSocket handshake: keep the upgrade fields. */
  websocket: boolean
}

const WEBSOCKET_FIELD = /^sec-websocket-/

/** Lower-cased field names listed in a Connection header (RFC 9110 §7.6.1). */
export function connectionTokens(value: string | string[] | undefined): Set<string> {
  const tokens = new Set<string>()
  if (value === undefined) return tokens
  for (const line of Array.isArray(value) ? value : [value]) {
    for (const token of line.split(',')) {
      const name = token.trim().toLowerCase()
      if (name !== '') tokens.add(name)
    }
  }
  return tokens
}

/** Copies the fields that may cross a proxy; `keep` names exceptions to the hop-by-hop rule. */
function copyEndToEnd(headers: HeadersIn, keep: (name: string) => boolean): OutgoingHeaders {
  const listed = connectionTokens(headers.connection)
  const out: OutgoingHeaders = {}
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const name = rawName.toLowerCase()
    if ((HOP_BY_HOP.has(name) || listed.has(name)) && !keep(name)) continue
    out[name] = Array.isArray(value) ? [...value] : value
  }
  return out
}

/**
 * The headers to send to an origin for a client request: hop-by-hop fields dropped, Host
 * chosen per `preserveHost`, X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded added.
 * With `websocket` the handshake fields survive: `Connection: Upgrade`, `Upgrade: websocket`
 * and every Sec-WebSocket-* field exactly as the client sent it.
 */
export function buildOriginRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): OutgoingHeaders {
  const out = copyEndToEnd(incoming, (name) => ctx.websocket && WEBSOCKET_FIELD.test(name))
  const clientHost = ctx.host === undefined || ctx.host === '' ? undefined : ctx.host
  const clientIp = normaliseIp(ctx.clientIp)

  out.host = ctx.preserveHost && clientHost !== undefined ? clientHost : ctx.originHost
  // Appended to what survived the hop-by-hop filter: a list the Connection header named is dropped.
  out['x-forwarded-for'] = appendList(out['x-forwarded-for'], clientIp === '' ? 'unknown' : clientIp)
  out['x-forwarded-proto'] = ctx.proto
  if (clientHost !== undefined) out['x-forwarded-host'] = clientHost
  else delete out['x-forwarded-host']
  out.forwarded = appendList(out.forwarded, forwardedElement(clientIp, ctx.proto, clientHost))

  if (ctx.websocket) {
    out.connection = 'Upgrade'
    out.upgrade = 'websocket'
  }
  return out
}

/** Response headers for the way back to the client: hop-by-hop fields dropped. */
export function filterResponseHeaders(headers: HeadersIn): OutgoingHeaders {
  return copyEndToEnd(headers, () => false)
}

/**
 * Response headers of a 101 Switching Protocols answer: Upgrade, Connection and every
 * Sec-WebSocket-* field kept unchanged (RFC 6455 §4.2.2), other hop-by-hop fields dropped.
 */
export function filterWebSocket101Headers(headers: HeadersIn): OutgoingHeaders {
  return copyEndToEnd(headers, (name) => name === 'upgrade' || name === 'connection' || WEBSOCKET_FIELD.test(name))
}

/**
 * One RFC 7239 §4 forwarded-element. Values that are not tokens are quoted: an IPv6
 * address must be written as `"[v6]"` (§6) and a host with a port contains ":".
 */
export function forwardedElement(clientIp: string, proto: 'http' | 'https', host: string | undefined): string {
  const node = clientIp === '' ? 'unknown' : isIPv6(clientIp) ? `"[${clientIp}]"` : quoteIfNeeded(clientIp)
  const parts = [`for=${node}`, `proto=${proto}`]
  if (host !== undefined) parts.push(`host=${quoteIfNeeded(host)}`)
  return parts.join(';')
}

/** `::ffff:203.0.113.7` (an IPv4 client on a dual-stack socket) is reported as `203.0.113.7`. */
function normaliseIp(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  return mapped ? mapped[1]! : ip
}

// RFC 9110 §5.6.2 tchar
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function quoteIfNeeded(value: string): string {
  return TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`
}

/** Appends to a comma-separated list field, keeping what earlier proxies wrote. */
function appendList(existing: string | string[] | undefined, value: string): string {
  const previous = (Array.isArray(existing) ? existing.join(', ') : existing ?? '').trim()
  return previous === '' ? value : `${previous}, ${value}`
}
