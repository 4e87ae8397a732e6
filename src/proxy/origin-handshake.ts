import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { isIP, type Socket } from 'node:net'
import type { OriginTlsConfig, TimeoutsConfig } from '../config/schema.js'

export type HandshakeResult =
  | { kind: 'upgraded'; response: IncomingMessage; socket: Socket; head: Buffer }
  | { kind: 'response'; response: IncomingMessage }

export interface HandshakeRequest {
  url: URL
  path: string
  headers: Record<string, string | string[]>
  timeouts: TimeoutsConfig
  tls: OriginTlsConfig
}

/** A failure before the origin answered; `connect` ones are safe to retry on another origin. */
export class OriginHandshakeError extends Error {
  readonly phase: 'connect' | 'response'
  readonly code: string
  constructor(phase: 'connect' | 'response', code: string, message: string) {
    super(message)
    this.phase = phase
    this.code = code
  }
}

const caCache = new Map<string, Buffer>()

function readCa(path: string | undefined): Buffer | undefined {
  if (!path) return undefined
  let ca = caCache.get(path)
  if (!ca) caCache.set(path, (ca = readFileSync(path)))
  return ca
}

/**
 * Sends the client's upgrade request to one origin on a fresh connection (a WebSocket owns
 * its TCP connection, so no pool) and resolves with the 101 and its socket, or with any
 * other answer for the caller to pass through. Connect and response timeouts are separate
 * so that only a failure to connect is retried elsewhere.
 */
export function requestOriginUpgrade(request: HandshakeRequest, signal: AbortSignal): Promise<HandshakeResult> {
  const secure = request.url.protocol === 'https:' || request.url.protocol === 'wss:'
  const host = request.url.hostname.replace(/^\[|\]$/g, '')
  const options: https.RequestOptions = {
    host,
    port: request.url.port || (secure ? 443 : 80),
    method: 'GET',
    path: request.path,
    headers: request.headers,
    agent: false,
    signal,
  }
  if (secure) {
    options.ca = readCa(request.tls.ca)
    options.rejectUnauthorized = request.tls.verify
    // RFC 6066 §3: SNI carries host names only, never an IP literal. An empty string (not
    // undefined) stops Node from falling back to the client's Host header; the certificate
    // is then checked against the origin's address.
    options.servername = request.tls.servername ?? (isIP(host) ? '' : host)
  }
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options)
    let connected = false
    const fail = (phase: 'connect' | 'response', code: string, message: string): void => {
      clearTimeout(timer)
      req.destroy()
      reject(new OriginHandshakeError(phase, code, message))
    }
    let timer = setTimeout(() => fail('connect', 'ETIMEDOUT', `connect timeout after ${request.timeouts.connect} ms`), request.timeouts.connect)
    req.on('socket', (socket: Socket) => {
      const onConnected = (): void => {
        connected = true
        clearTimeout(timer)
        timer = setTimeout(() => fail('response', 'ETIMEDOUT', `no handshake answer within ${request.timeouts.response} ms`), request.timeouts.response)
      }
      socket.once(secure ? 'secureConnect' : 'connect', onConnected)
    })
    req.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      clearTimeout(timer)
      socket.pause()
      resolve({ kind: 'upgraded', response, socket, head })
    })
    req.on('response', (response: IncomingMessage) => {
      clearTimeout(timer)
      resolve({ kind: 'response', response })
    })
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(connected ? 'response' : 'connect', error.code ?? 'ERROR', error.message)
    })
    req.end()
  })
}
