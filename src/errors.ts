/**
 * The one error catalogue. Every refusal or forced close that Wedge produces has an entry
 * here with a stable string code, the HTTP status used when it happens during a handshake
 * or request, and the WebSocket close code used when it happens on an open connection.
 * Docs (docs/errors.md) are checked against this table by a test.
 */
export const ErrorCatalogue = {
  // Handshake validation (RFC 6455 §4.2.1)
  WEDGE_BAD_UPGRADE_METHOD: { status: 400, close: 1002, message: 'WebSocket upgrade requires GET' },
  WEDGE_BAD_UPGRADE_HEADER: { status: 400, close: 1002, message: 'Upgrade header must contain "websocket"' },
  WEDGE_BAD_CONNECTION_HEADER: { status: 400, close: 1002, message: 'Connection header must contain "upgrade"' },
  WEDGE_BAD_WEBSOCKET_KEY: { status: 400, close: 1002, message: 'Sec-WebSocket-Key must be 16 bytes in base64' },
  WEDGE_BAD_WEBSOCKET_VERSION: { status: 426, close: 1002, message: 'Sec-WebSocket-Version must be 13' },
  WEDGE_WEBSOCKET_DISABLED: { status: 426, close: 1008, message: 'WebSockets are disabled for this site' },
  WEDGE_NO_SITE: { status: 404, close: 1008, message: 'No site matches this host and path' },
  // Origins
  WEDGE_NO_HEALTHY_ORIGIN: { status: 502, close: 1014, message: 'No healthy origin could be reached' },
  WEDGE_ORIGIN_TIMEOUT: { status: 504, close: 1014, message: 'The origin did not answer in time' },
  WEDGE_ORIGIN_BAD_RESPONSE: { status: 502, close: 1014, message: 'The origin sent an invalid handshake response' },
  WEDGE_ORIGIN_GONE: { status: 502, close: 1014, message: 'The origin connection failed' },
  // Abuse limits
  WEDGE_SITE_CONNECTION_LIMIT: { status: 503, close: 1013, message: 'Too many connections to this site' },
  WEDGE_IP_CONNECTION_LIMIT: { status: 429, close: 1008, message: 'Too many connections from this address' },
  WEDGE_IP_HANDSHAKE_RATE: { status: 429, close: 1008, message: 'Too many handshakes per second from this address' },
  WEDGE_HEADERS_TOO_LARGE: { status: 431, close: 1009, message: 'Request headers too large' },
  WEDGE_HEADER_TIMEOUT: { status: 408, close: 1008, message: 'Request headers not received in time' },
  // Per-message limits on an open connection
  WEDGE_MESSAGE_TOO_BIG: { status: 413, close: 1009, message: 'Message exceeds the size limit' },
  WEDGE_MESSAGE_RATE: { status: 429, close: 1008, message: 'Message rate limit exceeded' },
  WEDGE_PROTOCOL_ERROR: { status: 400, close: 1002, message: 'WebSocket protocol violation' },
  WEDGE_SLOW_CONSUMER: { status: 503, close: 1008, message: 'Peer did not read fast enough' },
  WEDGE_PING_TIMEOUT: { status: 408, close: 1001, message: 'Peer did not answer ping in time' },
  WEDGE_IDLE_TIMEOUT: { status: 408, close: 1001, message: 'Connection idle too long' },
  WEDGE_SHUTTING_DOWN: { status: 503, close: 1001, message: 'Edge is shutting down' },
  WEDGE_INTERNAL: { status: 500, close: 1011, message: 'Internal edge error' },
  // Origin-less apps
  WEDGE_APP_ERROR: { status: 500, close: 1011, message: 'The app failed to handle the request' },
  WEDGE_APP_LIMIT: { status: 503, close: 1011, message: 'The app exceeded its resource limits' },
  WEDGE_APP_UNAVAILABLE: { status: 503, close: 1012, message: 'The app is restarting' },
  WEDGE_APP_TIMEOUT: { status: 504, close: 1011, message: 'The app did not answer in time' },
  WEDGE_APP_RESTARTED: { status: 503, close: 1012, message: 'app restarted' },
  WEDGE_OBJECT_OVERLOADED: { status: 503, close: 1013, message: 'object overloaded' },
  WEDGE_REQUEST_TOO_LARGE: { status: 413, close: 1009, message: 'Request body exceeds 32 MiB' },
} as const

export type ErrorCode = keyof typeof ErrorCatalogue

/** An error with a catalogue code; `detail` names the field or rule that was broken. */
export class WedgeError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly closeCode: number
  readonly detail: string | undefined

  constructor(code: ErrorCode, detail?: string) {
    const entry = ErrorCatalogue[code]
    super(detail ? `${entry.message}: ${detail}` : entry.message)
    this.name = 'WedgeError'
    this.code = code
    this.status = entry.status
    this.closeCode = entry.close
    this.detail = detail
  }
}
