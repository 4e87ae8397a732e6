import type { IncomingMessage } from 'node:http'
import { AdminError } from './admin-errors.js'
import { isLoopback } from './bearer-auth.js'

/**
 * Browser-borne attacks on an admin endpoint that a bearer token alone does not stop:
 *
 * - Cross-site writes (CSRF): a page elsewhere can POST to the admin port with a "simple"
 *   request that needs no CORS preflight. Browsers send `Origin` on every non-GET request
 *   and `Sec-Fetch-Site` (Fetch Metadata) on all of them, so a write whose Origin is not this
 *   host, or that a browser marks cross-site, is refused. The CLI sends neither header.
 * - DNS rebinding: without tokens the endpoint trusts whoever reaches loopback, and a page
 *   whose name re-resolves to 127.0.0.1 reaches it as "same origin". A browser then sends
 *   that name as Host, so without tokens only loopback names are accepted as Host.
 */
export function guardRequest(request: IncomingMessage, options: { loopbackHostOnly: boolean }): void {
  const host = request.headers.host
  if (options.loopbackHostOnly && host !== undefined && !isLoopback(hostname(host))) {
    throw new AdminError('WEDGE_ADMIN_FORBIDDEN', `Host ${JSON.stringify(host)} refused: without admin tokens the admin API only answers requests addressed to a loopback name (127.0.0.1, [::1], localhost)`)
  }
  const method = request.method ?? 'GET'
  if (method === 'GET' || method === 'HEAD') return
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') throw crossSite()
  const origin = request.headers.origin
  if (origin === undefined) return
  // Behind a reverse proxy that rewrites Host, the page's origin is the forwarded host. A
  // cross-site page cannot set that header without a CORS preflight, which is never granted.
  const forwarded = request.headers['x-forwarded-host']
  const hosts = [host, typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : undefined]
  if (!hosts.some((candidate) => candidate !== undefined && originHost(origin) === candidate.toLowerCase())) throw crossSite()
}

function crossSite(): AdminError {
  return new AdminError('WEDGE_ADMIN_FORBIDDEN', 'cross-site request refused: admin writes must come from the admin page itself or a non-browser client')
}

function hostname(host: string): string {
  try {
    return new URL(`http://${host}`).hostname
  } catch {
    return ''
  }
}

/** "http://127.0.0.1:9090" → "127.0.0.1:9090"; "null" and garbage → "" (never equal to a Host). */
function originHost(origin: string): string {
  try {
    return new URL(origin).host.toLowerCase()
  } catch {
    return ''
  }
}
