import type { IncomingMessage } from 'node:http'
import { AdminError } from './admin-errors.js'

export interface RouteContext {
  request: IncomingMessage
  /** Decoded path parameters (":site" → params.site). */
  params: Record<string, string>
  url: URL
}

/** A JSON answer (`body`), or bytes as they are (`raw`, with a content-type in `headers`). */
export type RouteResult =
  | { status?: number; body: unknown; headers?: Record<string, string> }
  | { status?: number; raw: string | Buffer; headers: Record<string, string> & { 'content-type': string } }

export type RouteHandler = (context: RouteContext) => Promise<RouteResult>

interface Route {
  method: string
  segments: string[]
  handler: RouteHandler
  /** Public routes skip the bearer-token check. */
  public: boolean
}

export type RouteMatch = { handler: RouteHandler; params: Record<string, string>; public: boolean }

/** Method + path pattern ("/api/apps/:site/deploy") routing; exact paths, no trailing-slash folding. */
export class Router {
  #routes: Route[] = []

  add(method: string, pattern: string, handler: RouteHandler, options: { public?: boolean } = {}): this {
    this.#routes.push({ method, segments: pattern.split('/').slice(1), handler, public: options.public === true })
    return this
  }

  /** The route for this method and path; AdminError 404 (no path matches) or 405 (with Allow). */
  match(method: string, pathname: string): RouteMatch {
    const parts = pathname.split('/').slice(1)
    const allowed: string[] = []
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts)
      if (!params) continue
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, public: route.public }
      allowed.push(route.method)
    }
    if (allowed.length > 0) {
      throw new AdminError('WEDGE_ADMIN_METHOD_NOT_ALLOWED', `${method} is not allowed on ${pathname} (allowed: ${allowed.join(', ')})`, { allow: allowed.join(', ') })
    }
    throw new AdminError('WEDGE_ADMIN_NOT_FOUND', `no admin route ${pathname}`)
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (const [index, segment] of pattern.entries()) {
    const part = parts[index]!
    if (segment.startsWith(':')) {
      if (part === '') return undefined
      try {
        params[segment.slice(1)] = decodeURIComponent(part)
      } catch {
        throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `malformed percent-encoding in path segment ${JSON.stringify(part)}`)
      }
    } else if (segment !== part) {
      return undefined
    }
  }
  return params
}
