import { Agent, request } from 'undici'
import type { WireRequest, WireResponse } from './runner-protocol.js'

export const OUTBOUND_FETCH_LIMITS = {
  connectTimeoutMs: 5_000,
  /** The whole exchange, headers and body. */
  timeoutMs: 30_000,
  maxBodyBytes: 32 * 1024 * 1024,
} as const

/** Headers the gateway sets itself (RFC 9110 §7.6.1 connection-specific ones, and framing). */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'expect'])

/** True when `hostname` is in the allow list: an exact name, or a subdomain of a "*.suffix" entry. */
export function hostAllowed(hostname: string, allow: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  for (const entry of allow) {
    const rule = entry.toLowerCase()
    if (rule.startsWith('*.')) {
      if (host.length > rule.length - 1 && host.endsWith(rule.slice(1))) return true
    } else if (host === rule) {
      return true
    }
  }
  return false
}

export class FetchNotAllowedError extends Error {
  constructor(host: string) {
    super(`fetch to ${host} is not allowed (fetch_allow)`)
    this.name = 'FetchNotAllowedError'
  }
}

/**
 * An app's fetch(): checked against `fetch_allow` here in the gateway (the runner has no
 * network), sent with undici, redirects NOT followed (a redirect to another host would
 * bypass the list; the app sees the 3xx and may fetch the new URL, which is checked again),
 * bounded in time and response size.
 */
export class OutboundFetch {
  readonly #agent = new Agent({
    connect: { timeout: OUTBOUND_FETCH_LIMITS.connectTimeoutMs },
    headersTimeout: OUTBOUND_FETCH_LIMITS.timeoutMs,
    bodyTimeout: OUTBOUND_FETCH_LIMITS.timeoutMs,
  })

  async fetch(wire: WireRequest, allow: readonly string[]): Promise<WireResponse> {
    const url = new URL(wire.url)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`fetch: unsupported scheme ${url.protocol}`)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    if (!hostAllowed(host, allow)) throw new FetchNotAllowedError(host)
    const headers: string[] = []
    for (const [name, value] of wire.headers) {
      if (!DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) headers.push(name, value)
    }
    const response = await request(url, {
      method: wire.method,
      headers,
      body: wire.body && wire.body.byteLength > 0 ? Buffer.from(wire.body.buffer, wire.body.byteOffset, wire.body.byteLength) : null,
      dispatcher: this.#agent,
      signal: AbortSignal.timeout(OUTBOUND_FETCH_LIMITS.timeoutMs),
    })
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > OUTBOUND_FETCH_LIMITS.maxBodyBytes) {
        response.body.destroy()
        throw new Error(`fetch: response body from ${host} exceeds ${OUTBOUND_FETCH_LIMITS.maxBodyBytes} bytes`)
      }
      chunks.push(chunk)
    }
    const responseHeaders: [string, string][] = []
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) responseHeaders.push([name, one])
    }
    return { status: response.statusCode, headers: responseHeaders, body: size === 0 ? null : Buffer.concat(chunks, size) }
  }

  close(): Promise<void> {
    return this.#agent.close()
  }
}
