import net, { isIP, type Socket } from 'node:net'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'
import type { OriginTlsConfig, TimeoutsConfig } from '../config/schema.js'
import type { OutgoingHeaders } from './forwarded-headers.js'
import { ResponseHeadError, ResponseHeadReader, type OriginResponse } from './origin-response-head.js'
import { OriginInput, copyOf } from './origin-input.js'

export type { OriginResponse } from './origin-response-head.js'

/**
 * The socket reads through `input` (it is created with `onread`, so it never emits
 * 'data'): the caller takes over with `input.readTo`.
 */
export type HandshakeResult =
  /** `head`: bytes the origin sent after its 101 (already WebSocket frames). */
  | { kind: 'upgraded'; response: OriginResponse; socket: Socket; input: OriginInput; head: Buffer }
  /** Any other final answer; `body`: bytes read past its head. */
  | { kind: 'response'; response: OriginResponse; socket: Socket; input: OriginInput; body: Buffer }

export interface HandshakeRequest {
  url: URL
  path: string
  headers: OutgoingHeaders
  timeouts: TimeoutsConfig
  tls: OriginTlsConfig
}

/**
 * Lets the caller give up on an attempt (the client went away) without an AbortController
 * per handshake: the attempt in flight sets `onCancel`, the caller calls `cancel()`.
 */
export class HandshakeCancel {
  cancelled = false
  onCancel: (() => void) | undefined = undefined

  cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    this.onCancel?.()
  }
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

// What Node's http client refused to send (ERR_UNESCAPED_CHARACTERS, ERR_INVALID_CHAR).
const INVALID_PATH = /[^\u0021-\u00ff]/
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/**
 * Sends the client's upgrade request to one origin on a fresh connection (a WebSocket owns
 * its TCP connection, so no pool) and resolves with the 101 and its socket, or with any
 * other answer for the caller to pass through. The request head goes out in one write and
 * the answer's head is read by a small parser, without Node's HTTP client machinery.
 * Connect and response timeouts are separate so that only a failure to connect is retried
 * elsewhere.
 */
export function requestOriginUpgrade(request: HandshakeRequest, cancel: HandshakeCancel): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const head = requestHead(request)
    if (typeof head !== 'string') return reject(head)
    new OriginAttempt(request, head, cancel, resolve, reject)
  })
}

function requestHead(request: HandshakeRequest): string | OriginHandshakeError {
  if (INVALID_PATH.test(request.path)) return new OriginHandshakeError('connect', 'ERR_UNESCAPED_CHARACTERS', 'request path contains unescaped characters')
  let head = `GET ${request.path} HTTP/1.1\r\n`
  for (const name in request.headers) {
    const value = request.headers[name]!
    if (typeof value === 'string') {
      if (INVALID_VALUE.test(value)) return invalidChar(name)
      head += `${name}: ${value}\r\n`
    } else {
      for (const item of value) {
        if (INVALID_VALUE.test(item)) return invalidChar(name)
        head += `${name}: ${item}\r\n`
      }
    }
  }
  return `${head}\r\n`
}

function invalidChar(name: string): OriginHandshakeError {
  return new OriginHandshakeError('connect', 'ERR_INVALID_CHAR', `invalid character in header "${name}"`)
}

/** One connection attempt; settles its promise exactly once. */
class OriginAttempt {
  readonly #request: HandshakeRequest
  readonly #head: string
  readonly #cancel: HandshakeCancel
  readonly #resolve: (result: HandshakeResult) => void
  readonly #reject: (error: OriginHandshakeError) => void
  readonly #socket: Socket
  readonly #input = new OriginInput()
  #reader = new ResponseHeadReader()
  #timer: NodeJS.Timeout
  #connected = false
  #settled = false
  readonly #onError = (error: NodeJS.ErrnoException): void => this.#fail(this.#connected ? 'response' : 'connect', error.code ?? 'ERROR', error.message)
  readonly #onClose = (): void => this.#fail(this.#connected ? 'response' : 'connect', 'ECONNRESET', 'socket hang up')

  constructor(request: HandshakeRequest, head: string, cancel: HandshakeCancel, resolve: (result: HandshakeResult) => void, reject: (error: OriginHandshakeError) => void) {
    this.#request = request
    this.#head = head
    this.#cancel = cancel
    this.#resolve = resolve
    this.#reject = reject
    this.#timer = setTimeout(() => this.#fail('connect', 'ETIMEDOUT', `connect timeout after ${request.timeouts.connect} ms`), request.timeouts.connect)
    this.#input.readTo((bytes) => this.#read(bytes))
    this.#socket = this.#connect(() => this.#onConnected())
    // Flowing, so that 'end' is emitted (reads themselves go to the onread callback).
    this.#socket.resume()
    this.#socket.on('error', this.#onError)
    this.#socket.on('end', this.#onClose)
    this.#socket.on('close', this.#onClose)
    cancel.onCancel = () => this.#fail('connect', 'ABORT_ERR', 'the client went away')
  }

  #connect(onConnected: () => void): Socket {
    const url = this.#request.url
    const secure = url.protocol === 'https:' || url.protocol === 'wss:'
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const port = Number(url.port) || (secure ? 443 : 80)
    const onread = this.#input.onread
    if (!secure) return net.connect({ host, port, noDelay: true, onread }, onConnected)
    const origin = this.#request.tls
    const options: tls.ConnectionOptions & Pick<net.NetConnectOpts, 'onread'> = {
      host,
      port,
      onread, // supported by tls.connect (Node ≥ 12.17), missing from @types/node
      ca: readCa(origin.ca),
      rejectUnauthorized: origin.verify,
      // RFC 6066 §3: SNI carries host names only, never an IP literal. With an empty
      // servername no SNI is sent and the certificate is checked against the address.
      servername: origin.servername ?? (isIP(host) ? '' : host),
    }
    return tls.connect(options, onConnected)
  }

  #onConnected(): void {
    if (this.#settled) return
    this.#connected = true
    clearTimeout(this.#timer)
    const timeout = this.#request.timeouts.response
    this.#timer = setTimeout(() => this.#fail('response', 'ETIMEDOUT', `no handshake answer within ${timeout} ms`), timeout)
    this.#socket.write(this.#head, 'latin1')
  }

  #read(chunk: Buffer): void {
    if (this.#settled) return
    let rest = chunk
    for (;;) {
      let used: number
      try {
        used = this.#reader.push(rest)
      } catch (error) {
        const failure = error as ResponseHeadError
        return this.#fail('response', failure.code, failure.message)
      }
      if (used === -1) return
      const response = this.#reader.response!
      rest = rest.subarray(used)
      // 1xx answers other than 101 (100 Continue, 103 Early Hints) precede the final one.
      if (response.statusCode >= 200 || response.statusCode === 101) return this.#answered(response, rest)
      this.#reader = new ResponseHeadReader()
    }
  }

  #answered(response: OriginResponse, rest: Buffer): void {
    this.#settle()
    const socket = this.#socket
    const input = this.#input
    // `rest` is a view of the shared read buffer: the caller gets its own copy.
    if (response.statusCode === 101) this.#resolve({ kind: 'upgraded', response, socket, input, head: copyOf(rest) })
    else this.#resolve({ kind: 'response', response, socket, input, body: copyOf(rest) })
  }

  #fail(phase: 'connect' | 'response', code: string, message: string): void {
    if (this.#settled) return
    this.#settle()
    this.#socket.destroy()
    this.#reject(new OriginHandshakeError(phase, code, message))
  }

  /** The socket is the caller's from here on; a no-op error listener stays until it adds its own. */
  #settle(): void {
    this.#settled = true
    clearTimeout(this.#timer)
    this.#cancel.onCancel = undefined
    this.#input.hold()
    const socket = this.#socket
    socket.removeListener('end', this.#onClose)
    socket.removeListener('close', this.#onClose)
  }
}
