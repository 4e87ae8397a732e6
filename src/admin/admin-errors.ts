/**
 * Errors of the admin API, answered as `{ "error": { "code", "message" } }` with this status.
 * Kept apart from src/errors.ts because they never close a WebSocket (no close code).
 */
export const AdminErrors = {
  WEDGE_ADMIN_BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  WEDGE_ADMIN_UNAUTHORIZED: { status: 401, message: 'A valid bearer token is required' },
  WEDGE_ADMIN_FORBIDDEN: { status: 403, message: 'This token may only read' },
  WEDGE_ADMIN_NOT_FOUND: { status: 404, message: 'No such admin route' },
  WEDGE_ADMIN_UNKNOWN_SITE: { status: 404, message: 'No app site has this name' },
  WEDGE_ADMIN_UNKNOWN_VERSION: { status: 404, message: 'The site has no such version' },
  WEDGE_ADMIN_UNKNOWN_CONNECTION: { status: 404, message: 'No open connection has this id' },
  WEDGE_ADMIN_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this route' },
  WEDGE_ADMIN_NO_PREVIOUS_VERSION: { status: 409, message: 'There is no version to roll back to' },
  WEDGE_ADMIN_BODY_TOO_LARGE: { status: 413, message: 'Request body too large' },
  WEDGE_ADMIN_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Expected a JSON body (Content-Type: application/json)' },
  WEDGE_ADMIN_DEPLOY_REFUSED: { status: 422, message: 'The app could not be deployed' },
  WEDGE_ADMIN_INTERNAL: { status: 500, message: 'Internal admin error' },
} as const

export type AdminErrorCode = keyof typeof AdminErrors

/** Thrown by admin routes; the server answers it with the code's status and this message. */
export class AdminError extends Error {
  readonly code: AdminErrorCode
  readonly status: number

  constructor(code: AdminErrorCode, message?: string, readonly headers: Record<string, string> = {}) {
    super(message ?? AdminErrors[code].message)
    this.name = 'AdminError'
    this.code = code
    this.status = AdminErrors[code].status
  }
}
