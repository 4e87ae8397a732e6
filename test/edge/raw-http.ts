import net from 'node:net'
import http from 'node:http'

/** A parsed HTTP/1.1 response read off a raw socket. */
export interface RawResponse {
  status: number
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: string
  /** Everything received, unparsed. */
  raw: string
}

/** A WebSocket key that is 16 bytes in base64 (the RFC 6455 §1.3 example). */
export const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

/** The request head for `lines` (request line first), terminated by the empty line. */
export function head(lines: readonly string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`
}

/** A well-formed WebSocket upgrade request head for `host` and `path`, with optional overrides. */
export function upgradeHead(host: string, path = '/', overrides: Record<string, string | undefined> = {}, method = 'GET'): string {
  const headers: Record<string, string | undefined> = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': GOOD_KEY,
    'Sec-WebSocket-Version': '13',
    ...overrides,
  }
  const lines = [`${method} ${path} HTTP/1.1`]
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lines.push(`${name}: ${value}`)
  return head(lines)
}

/** Parses the head and body of a response (body: whatever followed the head). */
export function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n')
  const headText = end === -1 ? raw : raw.slice(0, end)
  const [statusLine = '', ...lines] = headText.split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon === -1) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value
  }
  return { status, headers, body: end === -1 ? '' : raw.slice(end + 4), raw }
}

/**
 * True once `raw` holds a whole response: a 101 head, a body of Content-Length bytes, or
 * a chunked body up to its last chunk. Keep-alive answers are complete without the close.
 */
export function responseComplete(raw: string): boolean {
  const end = raw.indexOf('\r\n\r\n')
  if (end === -1) return false
  const parsed = parseResponse(raw)
  if (parsed.status === 101) return true
  const length = parsed.headers['content-length']
  if (length !== undefined) return Buffer.byteLength(parsed.body, 'latin1') >= Number(length)
  if (parsed.headers['transfer-encoding']?.toLowerCase().includes('chunked')) return parsed.body.endsWith('0\r\n\r\n')
  return false
}

/**
 * Sends `data` on a fresh TCP connection and resolves with the response once the server
 * ends the connection, once the response is complete (`responseComplete`), or once
 * `until` says the bytes so far are enough. Rejects after
 * `timeoutMs` so a server that never answers fails the test instead of hanging it.
 */
export function rawExchange(port: number, data: string | Buffer, options: { until?: (raw: string) => boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const { until = responseComplete, timeoutMs = 5000 } = options
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    let settled = false
    const finish = (error?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(parseResponse(received))
    }
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms; got ${JSON.stringify(received.slice(0, 200))}`)), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      if (until?.(received)) finish()
    })
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    socket.on('error', (error) => (received ? finish() : finish(error)))
    socket.write(data)
  })
}

/** True once a full response head has arrived (for upgrades that keep the socket open). */
export function headComplete(raw: string): boolean {
  return raw.includes('\r\n\r\n')
}

export interface HttpAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** One HTTP request through node:http on a fresh connection (so any Host header can be sent). */
export function httpRequest(port: number, options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false, timeout: 5000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 5000 ms')))
    req.on('error', reject)
    req.end(options.body)
  })
}
