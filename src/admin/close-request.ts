import { AdminError } from './admin-errors.js'

/**
 * Close codes an operator may send (RFC 6455 §7.4.1 and §7.4.2): 1000 normal closure, 1001
 * going away, 1008 policy violation, 1011 internal error, 1012 service restart, 1013 try
 * again later, and the ranges 3000–3999 (registered libraries) and 4000–4999 (private).
 * 1002, 1003, 1007, 1009 and 1010 describe protocol failures the edge did not see; 1004–1006
 * and 1015 must never be sent in a Close frame.
 */
const STANDARD_CODES: ReadonlySet<number> = new Set([1000, 1001, 1008, 1011, 1012, 1013])

/** A close reason travels in a control frame: 125 bytes of payload minus the 2-byte code (§5.5). */
export const MAX_CLOSE_REASON_BYTES = 123

export const DEFAULT_CLOSE_CODE = 1000

export function isSendableCloseCode(code: number): boolean {
  return STANDARD_CODES.has(code) || (Number.isInteger(code) && code >= 3000 && code <= 4999)
}

/** `?code=&reason=` of `DELETE /api/connections/:id`; AdminError 400 naming the parameter. */
export function parseCloseRequest(params: URLSearchParams): { code: number; reason: string } {
  for (const name of new Set(params.keys())) {
    if (name !== 'code' && name !== 'reason') throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `unknown parameter ${JSON.stringify(name)} (expected code, reason)`)
    if (params.getAll(name).length > 1) throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `parameter ${name} given more than once`)
  }
  const text = params.get('code')
  let code = DEFAULT_CLOSE_CODE
  if (text !== null && text !== '') {
    code = /^\d{4}$/.test(text) ? Number(text) : NaN
    if (!isSendableCloseCode(code)) {
      throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `code: expected 1000, 1001, 1008, 1011, 1012, 1013 or 3000-4999, got ${JSON.stringify(text.slice(0, 20))}`)
    }
  }
  const reason = params.get('reason') ?? ''
  const bytes = Buffer.byteLength(reason, 'utf8')
  if (bytes > MAX_CLOSE_REASON_BYTES) {
    throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `reason: at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8 fit in a close frame, got ${bytes}`)
  }
  return { code, reason }
}
