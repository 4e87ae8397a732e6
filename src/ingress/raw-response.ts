import type { Duplex } from 'node:stream'
import { STATUS_CODES } from 'node:http'
import { ErrorCatalogue, type ErrorCode } from '../errors.js'

/**
 * Writes a complete HTTP/1.1 response on a raw socket (an upgrade request has no
 * ServerResponse) and ends the socket. Used for refused handshakes.
 */
export function writeRawResponse(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  if (socket.destroyed || !socket.writable) return
  const payload = Buffer.from(body)
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  head += `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), payload]))
}

/** Refuses a handshake with the catalogue entry's status and a body naming the rule. */
export function refuseUpgrade(socket: Duplex, code: ErrorCode, detail?: string, extraHeaders: Record<string, string> = {}): void {
  const entry = ErrorCatalogue[code]
  const body = `${entry.status} ${STATUS_CODES[entry.status] ?? ''}: ${entry.message}${detail ? ` (${detail})` : ''}\n`
  writeRawResponse(socket, entry.status, { 'x-wedge-error': code, ...extraHeaders }, body)
}
