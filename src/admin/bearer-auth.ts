import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import { AdminError } from './admin-errors.js'

/**
 * Bearer tokens (RFC 6750 §2.1). Tokens are compared as SHA-256 digests with
 * timingSafeEqual, so neither a token's content nor its length leaks through timing; every
 * token is compared, so which one matched does not either.
 */
export class BearerAuth {
  #digests: Buffer[]

  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map(digest)
  }

  /** Throws AdminError 401 (with WWW-Authenticate, RFC 6750 §3) unless a known token is given. */
  check(headers: IncomingHttpHeaders): void {
    const match = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '')
    if (!match) throw unauthorized('missing bearer token (send "Authorization: Bearer TOKEN")', 'Bearer realm="wedge-admin"')
    const given = digest(match[1]!)
    let found = false
    for (const known of this.#digests) found = timingSafeEqual(known, given) || found
    if (!found) throw unauthorized('invalid bearer token', 'Bearer realm="wedge-admin", error="invalid_token"')
  }
}

function unauthorized(message: string, challenge: string): AdminError {
  return new AdminError('WEDGE_ADMIN_UNAUTHORIZED', message, { 'www-authenticate': challenge })
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** 127.0.0.0/8, ::1 (and its IPv4-mapped form) and "localhost": reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare) || bare === '0:0:0:0:0:0:0:1'
  return isIP(bare) === 4 && bare.startsWith('127.')
}
