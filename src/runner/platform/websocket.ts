/**
 * Workers' WebSocket as an app sees it. The real socket lives in the gateway; here a
 * WebSocket is a handle (socket id) plus app-visible state. Sends are queued until the
 * socket is bound to the gateway's id (when the 101 response leaves) and then pass the
 * owning instance's output gate.
 */
import { copyBytes, isBufferSource, utf8Encode } from './bytes.js'
import { DOMException } from './dom-exception.js'
import { EventTarget } from './events.js'
import { emit, emitSend, host, current, type Owner } from './host-link.js'
import type { WireResponse } from '../../runtime/runner-protocol.js'
import { RUNNER_DEFAULTS } from '../../runtime/runner-protocol.js'

export type SocketMode = 'pending' | 'accept' | 'hibernate' | 'remote'

/** An object instance as sockets see it. */
export interface SocketHolder extends Owner {
  /** Runs `action` now, or after the pending writes are committed (output gate). */
  gate(action: () => void): void
  /** 'accept'-mode sockets pin their instance in memory. */
  pins: number
}

export interface SocketCore {
  socketId: string | null
  mode: SocketMode
  readyState: number
  closeCalled: boolean
  isServer: boolean
  peer: WebSocket | null
  owner: SocketHolder | null
  tags: string[]
  attachment: Uint8Array | null
  protocol: string
  /** Actions issued before the socket was bound to a gateway id. */
  queued: (() => void)[]
  remote: WireResponse['webSocket'] | undefined
  binaryType: string
}

export let coreOf: (ws: WebSocket) => SocketCore
let creating: SocketCore | null = null

function newCore(isServer: boolean): SocketCore {
  return {
    socketId: null, mode: 'pending', readyState: 1, closeCalled: false, isServer, peer: null, owner: null,
    tags: [], attachment: null, protocol: '', queued: [], remote: undefined, binaryType: 'arraybuffer',
  }
}

function isHolder(owner: Owner): owner is SocketHolder {
  return typeof (owner as Partial<SocketHolder>).gate === 'function'
}

export class WebSocket extends EventTarget {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3
  readonly CONNECTING = 0
  readonly OPEN = 1
  readonly CLOSING = 2
  readonly CLOSED = 3
  onmessage: ((event: unknown) => void) | null = null
  onclose: ((event: unknown) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onopen: ((event: unknown) => void) | null = null
  #core: SocketCore

  constructor(url?: unknown) {
    super()
    if (creating === null) throw new TypeError(`Outbound WebSocket connections are not supported (${String(url)})`)
    this.#core = creating
    creating = null
  }

  static {
    coreOf = (ws) => ws.#core
  }

  get readyState(): number { return this.#core.readyState }
  get protocol(): string { return this.#core.protocol }
  get url(): null { return null }
  get extensions(): string { return '' }
  get binaryType(): string { return this.#core.binaryType }
  set binaryType(value: string) {
    if (value === 'arraybuffer' || value === 'blob') this.#core.binaryType = value
  }

  accept(): void {
    const core = this.#core
    if (!core.isServer || core.mode === 'remote') throw new TypeError('accept() is only supported on the server end of a WebSocketPair')
    if (core.mode === 'hibernate') throw new TypeError('This WebSocket was accepted with ctx.acceptWebSocket()')
    if (core.mode === 'accept') return
    core.mode = 'accept'
    const owner = current()
    core.owner = isHolder(owner) ? owner : null
  }

  send(data: unknown): void {
    const core = this.#core
    if (core.mode === 'pending') throw new TypeError('You must call accept() on this WebSocket before sending messages.')
    if (core.mode === 'remote') throw new TypeError('send() is not supported on this WebSocket')
    if (core.closeCalled || core.readyState === 3) throw new TypeError("Can't call WebSocket send() after close().")
    let payload: string | Uint8Array
    if (typeof data === 'string') payload = data
    else if (isBufferSource(data)) payload = copyBytes(data)
    else throw new TypeError('WebSocket send() takes a string, ArrayBuffer or ArrayBufferView')
    const size = typeof payload === 'string' ? payload.length : payload.byteLength
    if (size > RUNNER_DEFAULTS.maxMessageBytes) throw new RangeError(`message of ${size} bytes exceeds ${RUNNER_DEFAULTS.maxMessageBytes}`)
    perform(core, () => emitSend(core.socketId!, payload, data), true)
  }

  close(code?: number, reason?: string): void {
    const core = this.#core
    if (core.mode === 'pending' || core.mode === 'remote') throw new TypeError('close() needs an accepted WebSocket')
    // Closing an already closed socket is a no-op whatever the code, so the common
    // `webSocketClose(ws, code) { ws.close(code) }` never throws. Codes as workerd accepts
    // them: 1000-1003, 1007-1014 and 3000-4999 (1005/1006/1015 are never sent, RFC 6455 §7.4).
    if (core.closeCalled || core.readyState === 3) return
    if (code !== undefined && !isSendableCode(code)) {
      throw new DOMException(`Invalid close code: ${code}`, 'InvalidAccessError')
    }
    const text = reason === undefined ? '' : String(reason)
    if (utf8Encode(text).length > 123) throw new DOMException('Close reason is longer than 123 bytes', 'SyntaxError')
    core.closeCalled = true
    core.readyState = 2
    perform(core, () => emit({ type: 'ws-close', socketId: core.socketId!, code: code ?? 1000, reason: text }), true)
  }

  serializeAttachment(value: unknown): void {
    const core = this.#core
    const bytes = host<Uint8Array>('serialize', value)
    if (bytes.length > RUNNER_DEFAULTS.maxAttachmentBytes) {
      throw new RangeError(`serialized attachment is ${bytes.length} bytes; the limit is ${RUNNER_DEFAULTS.maxAttachmentBytes}`)
    }
    core.attachment = bytes
    perform(core, () => emit({ type: 'ws-attachment', socketId: core.socketId!, value: bytes }), false)
  }

  deserializeAttachment(): unknown {
    const bytes = this.#core.attachment
    return bytes === null ? null : host('deserialize', bytes)
  }
}

/** Runs a socket action now, through the owner's output gate, or once the socket is bound. */
function perform(core: SocketCore, action: () => void, gated: boolean): void {
  if (core.socketId === null) core.queued.push(action)
  else if (gated && core.owner !== null) core.owner.gate(action)
  else action()
}

export function createSocket(core: SocketCore): WebSocket {
  creating = core
  return new WebSocket()
}

export class WebSocketPair {
  0: WebSocket
  1: WebSocket
  constructor() {
    const client = createSocket(newCore(false))
    const server = createSocket(newCore(true))
    coreOf(client).peer = server
    coreOf(server).peer = client
    this[0] = client
    this[1] = server
  }
}

export class WebSocketRequestResponsePair {
  #request: string
  #response: string
  constructor(request: string, response: string) {
    this.#request = String(request)
    this.#response = String(response)
    const limit = RUNNER_DEFAULTS.maxAutoResponseChars
    if (this.#request.length > limit || this.#response.length > limit) {
      throw new RangeError(`auto-response request and response are limited to ${limit} characters`)
    }
  }
  get request(): string { return this.#request }
  get response(): string { return this.#response }
}

/** A hibernated socket rebuilt from the gateway's record (bound from the start). */
export function socketFromRecord(record: { socketId: string; tags: string[]; attachment: Uint8Array | null; protocol: string }, owner: SocketHolder): WebSocket {
  const core = newCore(true)
  Object.assign(core, { socketId: record.socketId, mode: 'hibernate', owner, tags: [...record.tags], attachment: record.attachment, protocol: record.protocol })
  return createSocket(core)
}

/** The client end of a socket another object accepted (from `stub.fetch()`), only to be returned. */
export function remoteSocket(descriptor: NonNullable<WireResponse['webSocket']>): WebSocket {
  const core = newCore(false)
  core.mode = 'remote'
  core.remote = descriptor
  return createSocket(core)
}

/** Binds a server end to the gateway's socket id and replays what the app did before. */
export function bindSocket(ws: WebSocket, socketId: string, protocol: string): void {
  const core = coreOf(ws)
  core.socketId = socketId
  core.protocol = protocol
  const queued = core.queued
  core.queued = []
  for (const action of queued) action()
}

export function closedSocket(ws: WebSocket): void {
  coreOf(ws).readyState = 3
}

function isSendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}
