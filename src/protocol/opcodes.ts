/** Frame opcodes (RFC 6455 §5.2, §11.8). 0x3-0x7 and 0xB-0xF are reserved. */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const

export type OpcodeValue = (typeof Opcode)[keyof typeof Opcode]

/** True for control opcodes (most significant opcode bit set, RFC 6455 §5.5). */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0
}

/** Close status codes (RFC 6455 §7.4.1 and the IANA registry, §11.7). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  MANDATORY_EXT: 1010,
  INTERNAL: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN: 1013,
  BAD_GATEWAY: 1014,
} as const

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode]

/**
 * True when `code` may appear in a Close frame on the wire (RFC 6455 §7.4).
 * 1004 is reserved, 1005/1006/1015 are for reporting only, 1016-2999 are unassigned
 * protocol codes, 3000-3999 are registered for libraries and 4000-4999 are private.
 */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false
  if (code >= 1000 && code <= 1003) return true
  if (code >= 1007 && code <= 1014) return true
  return code >= 3000 && code <= 4999
}
