import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { RUNNER_DEFAULTS, type WireRequest, type WireResponse } from './runner-protocol.js'

/** Bodies cross the process boundary whole; this is the most one request may carry. */
export const MAX_BODY_BYTES = RUNNER_DEFAULTS.maxMessageBytes

/**
 * Headers the edge frames itself on responses (RFC 9110 §7.6.1 connection-specific fields,
 * RFC 9112 §6 framing): an app's values would contradict the body the edge actually sends.
 */
const FRAMING_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length'])

/** A header name (RFC 9110 §5.1 token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The whole request body, or 'too-large' as soon as it passes `max` bytes. */
export function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<Uint8Array | null | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        req.removeAllListeners('data')
        req.resume()
        resolve('too-large')
        return
      }
      chunks.push(chunk)
    })
    req.once('end', () => resolve(size === 0 ? null : Buffer.concat(chunks, size)))
    req.once('error', reject)
  })
}

/** The request as the app sees it: absolute URL, headers in order (duplicates kept). */
export function toWireRequest(req: IncomingMessage, proto: 'http' | 'https', body: Uint8Array | null, upgradeSocketId?: string): WireRequest {
  const headers: [string, string][] = []
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!.toLowerCase(), raw[i + 1]!])
  const host = req.headers.host ?? 'localhost'
  const wire: WireRequest = { method: req.method ?? 'GET', url: `${proto}://${host}${req.url ?? '/'}`, headers, body }
  if (upgradeSocketId !== undefined) wire.upgradeSocketId = upgradeSocketId
  return wire
}

/** A response status an HTTP/1.1 server may send for a normal request. */
export function validStatus(status: number): boolean {
  return Number.isInteger(status) && status >= 200 && status <= 599
}

/** The app's headers minus framing ones, flattened for writeHead (duplicates such as Set-Cookie kept). */
function appHeaders(response: WireResponse, skip: ReadonlySet<string> = FRAMING_HEADERS): string[] {
  const flat: string[] = []
  for (const [name, value] of response.headers) {
    if (!skip.has(name.toLowerCase())) flat.push(name, value)
  }
  return flat
}

/** Writes the app's response on a ServerResponse; HEAD and 204/304 carry no body (RFC 9110 §6.4.1). */
export function writeWireResponse(res: ServerResponse, response: WireResponse, method: string): void {
  const body = response.body && response.body.byteLength > 0 ? response.body : null
  const bodyless = method === 'HEAD' || response.status === 204 || response.status === 304
  const headers = appHeaders(response)
  if (response.status !== 204 && response.status !== 304) headers.push('content-length', String(body?.byteLength ?? 0))
  res.writeHead(response.status, response.statusText || STATUS_CODES[response.status] || '', headers)
  res.end(bodyless || !body ? undefined : body)
}

/** Writes a complete HTTP/1.1 response on a raw upgrade socket and ends it (an app's non-101 answer). */
export function writeRawWireResponse(socket: Duplex, response: WireResponse): void {
  if (socket.destroyed || !socket.writable) return
  const body = response.body && response.body.byteLength > 0 ? Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength) : Buffer.alloc(0)
  let head = `HTTP/1.1 ${response.status} ${(response.statusText || STATUS_CODES[response.status] || '').replace(/[\r\n]/g, '')}\r\n`
  for (const [name, value] of response.headers) {
    if (FRAMING_HEADERS.has(name.toLowerCase()) || !TOKEN.test(name)) continue
    head += `${name}: ${value.replace(/[\r\n]/g, '')}\r\n`
  }
  head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]))
}

/** A plain-text answer from the edge itself (errors of the runtime). */
export function textResponse(status: number, message: string, code: string): WireResponse {
  return {
    status,
    headers: [['content-type', 'text/plain; charset=utf-8'], ['x-wedge-error', code]],
    body: Buffer.from(`${status} ${STATUS_CODES[status] ?? ''}: ${message}\n`),
  }
}
