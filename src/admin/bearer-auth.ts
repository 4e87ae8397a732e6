import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import { AdminError } from './admin-errors.js'

/** "admin" may do everything; "read" may only use GET (and HEAD). */
export type AdminRole = 'admin' | 'read'

export interface AdminToken {
  token: string
  role: AdminRole
}

const ROLE_INDEX = { admin: 0, read: 1 } as const
const ROLES = ['admin', 'read'] as const

/**
 * Bearer tokens (RFC 6750 §2.1) with a role each. Tokens are compared as SHA-256 digests with
 * timingSafeEqual, so neither a token's content nor its length leaks through timing; every
 * token is compared and the role picked without branching on the match, so which one matched
 * does not leak either. A refusal says nothing about why beyond RFC 6750 §3.1's error code.
 */
export class BearerAuth {
  #digests: Buffer[]
  #roles: Uint8Array

  constructor(tokens: readonly AdminToken[]) {
    this.#digests = tokens.map((entry) => digest(entry.token))
    this.#roles = Uint8Array.from(tokens, (entry) => ROLE_INDEX[entry.role])
  }

  /** The role of the request's token; AdminError 401 (with WWW-Authenticate, RFC 6750 §3) otherwise. */
  check(headers: IncomingHttpHeaders): AdminRole {
    const match = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '')
    // §3.1: a request without credentials gets the challenge without an error code.
    if (!match) throw unauthorized('Bearer realm="wedge-admin"')
    const given = digest(match[1]!)
    let found = 0
    let role = 0
    for (const [index, known] of this.#digests.entries()) {
      const equal = timingSafeEqual(known, given) ? 1 : 0
      found |= equal
      // The least privileged role wins if one token were listed twice with two roles.
      role |= this.#roles[index]! * equal
    }
    if (found === 0) throw unauthorized('Bearer realm="wedge-admin", error="invalid_token"')
    return ROLES[role]!
  }
}

function unauthorized(challenge: string): AdminError {
  return new AdminError('WEDGE_ADMIN_UNAUTHORIZED', undefined, { 'www-authenticate': challenge })
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
