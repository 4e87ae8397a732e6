import type { Duplex } from 'node:stream'
import type { ConnectionEnd, DirectionCounters } from '../metering/metered-connection.js'
import type { Logger } from 'pino'
import { WebSocket } from 'ws'
import { RUNNER_DEFAULTS, type ObjectAddress, type WireResponse } from './runner-protocol.js'
import type { EventDone } from './runner-process.js'
import type { AppEvent, EventRouter } from './event-router.js'
import { objectKey, type AppSocket, type SocketTable } from './socket-table.js'
import type { RuntimeCounters } from './runtime-counters.js'
import { ErrorCatalogue } from '../errors.js'
import { frameMessage } from './frame-fanout.js'
import { SocketWriter } from './socket-writer.js'

/** How the ingress follows one app WebSocket: registry and admission (see app-site.ts). */
export interface AppUpgradeHooks {
  readonly connectionId: string
  readonly clientIp: string
  readonly path: string
  /** The handshake completed; `close` closes the socket from the edge (graceful stop: 1001). */
  opened(close: (code: number, reason: string) => void, traffic: () => { fromClient: DirectionCounters; toClient: DirectionCounters }): void
  /** Called exactly once when the upgrade ends: refused, abandoned, or the socket closed. */
  ended(opened: boolean, end?: ConnectionEnd): void
}

export interface SocketIoOptions {
  site: () => string
  appId: string
  sockets: SocketTable
  router: EventRouter
  counters: RuntimeCounters
  logger: Logger
  /** site.ws.max_buffered and slow_reader_timeout. */
  limits: () => { maxBuffered: number; slowReaderMs: number }
  /** An event of a socket ended with an error or a limit kill: log it. */
  outcome(entry: EventDone, what: string, object: ObjectAddress | undefined): void
  acceptOpened(version: number): void
  acceptClosed(version: number): void
  /** A socket record was removed (the app has seen its close). */
  removed(): void
}

/** Frames the app sends before the handshake completes are kept, up to this many. */
const MAX_EARLY_MESSAGES = 1_000
const MAX_SHARED_TAG_LISTS = 1_000
const APP_SOCKET = Symbol('wedge.appSocket')
type TaggedWebSocket = WebSocket & { [APP_SOCKET]: AppSocket }

/**
 * The gateway's client sockets of one app: binding at the handshake, client messages to
 * events (auto-response answered here without an event), app sends framed once and written
 * to every target, closes both ways, and the ws_open / ws_close log lines.
 */
export class SocketIo {
  readonly #o: SocketIoOptions
  readonly #writer: SocketWriter
  /** Tag lists by content: a room's sockets share one array per distinct list. */
  readonly #tagLists = new Map<string, string[]>()
  // One set of ws listeners for every socket (each finds its AppSocket on the ws), instead
  // of three closures per socket: idle sockets are what a hibernated room is made of.
  readonly #onWsMessage: (this: WebSocket, data: WebSocket.RawData, isBinary: boolean) => void
  readonly #onWsError: (this: WebSocket, error: Error) => void
  readonly #onWsClose: (this: WebSocket, code: number, reason: Buffer) => void

  constructor(options: SocketIoOptions) {
    this.#o = options
    this.#writer = new SocketWriter(options.counters, options.limits, (socket, code, reason) => this.#closeFromEdge(socket, code, reason))
    const io = this
    // ws delivers a Buffer (binaryType 'nodebuffer', the default the edge keeps).
    this.#onWsMessage = function (data, isBinary) { io.#onMessage((this as TaggedWebSocket)[APP_SOCKET], data as Buffer, isBinary) }
    this.#onWsError = function (error) { io.#onError((this as TaggedWebSocket)[APP_SOCKET], error) }
    this.#onWsClose = function (code, reason) { io.#onClose((this as TaggedWebSocket)[APP_SOCKET], code, reason.toString()) }
  }

  /** A pending socket for an upgrade the app is about to see. */
  begin(hooks: AppUpgradeHooks): AppSocket {
    return this.#o.sockets.add(hooks)
  }

  /** Binds a pending socket from a 101 answer (an object's or the Worker's). */
  bind(descriptor: NonNullable<WireResponse['webSocket']>, version: number, eventObject: ObjectAddress | undefined): void {
    const socket = this.#o.sockets.get(descriptor.socketId)
    if (!socket || socket.mode !== 'pending' || socket.state === 'closed') return
    let object = descriptor.object ?? eventObject
    const mode = descriptor.mode === 'hibernate' && object ? 'hibernate' : 'accept'
    const tags = this.#tags(descriptor.tags)
    const state = object ? this.#o.router.existingObject(objectKey(object)) : undefined
    if (state) object = state.address
    this.#o.sockets.bind(socket, { mode, object, ...(state ? { objectKey: state.key } : {}), tags, version })
    if (mode === 'accept') this.#o.acceptOpened(version)
  }

  /** The handshake completed: the socket is live. */
  open(socket: AppSocket, ws: WebSocket, raw: Duplex): void {
    const hooks = socket.hooks!
    socket.ws = ws
    socket.raw = raw
    socket.state = 'open'
    socket.protocol = ws.protocol
    ;(ws as TaggedWebSocket)[APP_SOCKET] = socket
    ws.on('message', this.#onWsMessage)
    ws.on('error', this.#onWsError)
    ws.on('close', this.#onWsClose)
    this.#o.counters.socketsOpened++
    hooks.opened((code, reason) => this.#closeFromEdge(socket, code, reason), () => socketTraffic(socket))
    this.#o.logger.info({
      event: 'ws_open', id: socket.connectionId, site: this.#o.site(), app_version: socket.version || this.#o.router.current, mode: socket.mode,
      ...objectFields(socket.object), client_ip: socket.clientIp, path: socket.path, protocol: socket.protocol || undefined,
    }, 'websocket open')
    const early = socket.early
    socket.early = undefined
    if (early) {
      for (const data of early.data) this.#writer.write(socket, frameMessage(data))
      if (early.close) this.closeFromApp(socket.id, early.close.code, early.close.reason)
    }
  }

  /** The upgrade ended without a WebSocket (client gone, app answered non-101). */
  abandon(socket: AppSocket): void {
    if (socket.state === 'closed') return
    socket.state = 'closed'
    socket.hooks?.ended(false)
    socket.hooks = undefined
    if (socket.mode === 'pending') {
      this.#o.sockets.delete(socket)
      return this.#o.removed()
    }
    // The app already holds this socket: tell it it is gone.
    this.#deliverClose(socket, 1006, 'handshake not completed', false)
  }

  /** `ws-send`: one frame, written to every target socket. */
  send(socketIds: readonly string[], data: string | Uint8Array): void {
    let frame: Buffer | undefined
    for (const id of socketIds) {
      const socket = this.#o.sockets.get(id)
      if (!socket) continue
      if (socket.state === 'open') {
        frame ??= frameMessage(data)
        this.#writer.write(socket, frame)
      } else if (socket.state === 'pending') {
        socket.early ??= { data: [] }
        if (socket.early.data.length < MAX_EARLY_MESSAGES) socket.early.data.push(data)
      }
    }
  }

  closeFromApp(socketId: string, code: number, reason: string): void {
    const socket = this.#o.sockets.get(socketId)
    if (!socket) return
    if (socket.state === 'pending') {
      socket.early ??= { data: [] }
      socket.early.close = { code, reason }
      return
    }
    if (socket.state !== 'open' || !socket.ws) return
    socket.closedBy ??= 'app'
    try {
      // 1005 means "no status" (RFC 6455 §7.4.1): send a Close frame without a code.
      if (code === 1005 || code === undefined) socket.ws.close()
      else socket.ws.close(code, reason)
    } catch {
      socket.ws.close(1000)
    }
  }

  setAttachment(socketId: string, value: Uint8Array | null): void {
    const socket = this.#o.sockets.get(socketId)
    if (!socket || socket.state === 'closed') return
    if (value && value.byteLength > RUNNER_DEFAULTS.maxAttachmentBytes) {
      this.#o.logger.warn({ app: this.#o.appId, bytes: value.byteLength }, 'attachment over 16 KiB ignored')
      return
    }
    socket.attachment = value
  }

  /** Closes open sockets matching `which` from the edge (runner restart, shutdown). */
  closeWhere(which: (socket: AppSocket) => boolean, code: number, reason: string): void {
    for (const socket of [...this.#o.sockets.values()]) {
      if (socket.state === 'open' && which(socket)) this.#closeFromEdge(socket, code, reason)
    }
  }

  /** The app's tags, checked, as a shared list (tags never change after the accept). */
  #tags(given: unknown): string[] {
    const tags = (Array.isArray(given) ? given : [])
      .filter((tag): tag is string => typeof tag === 'string' && tag.length <= RUNNER_DEFAULTS.maxTagLength)
      .slice(0, RUNNER_DEFAULTS.maxTagsPerSocket)
    const key = tags.join('\u0000')
    const shared = this.#tagLists.get(key)
    if (shared) return shared
    // Bounded: an app minting a unique tag per socket gets its own arrays past this.
    if (this.#tagLists.size < MAX_SHARED_TAG_LISTS) this.#tagLists.set(key, tags)
    return tags
  }

  #closeFromEdge(socket: AppSocket, code: number, reason: string): void {
    if (socket.state !== 'open' || !socket.ws) return
    socket.closedBy ??= 'edge'
    socket.ws.close(code, reason)
  }

  #onMessage(socket: AppSocket, data: Buffer, isBinary: boolean): void {
    // After the edge or the app sent its Close frame, ws still delivers what the client had
    // in flight (RFC 6455 §5.5.1 lets an endpoint discard it): the app has let go of the socket.
    if (socket.ws?.readyState !== WebSocket.OPEN) return
    socket.messagesIn++
    socket.bytesIn += data.length
    this.#o.counters.messagesIn++
    if (socket.mode === 'hibernate' && !isBinary) {
      const pair = this.#o.router.existingObject(socket.objectKey)?.autoResponse
      if (pair && data.equals(pair.requestBytes)) {
        this.#writer.write(socket, frameMessage(pair.response))
        socket.autoResponseAt = Date.now()
        this.#o.counters.autoResponses++
        return
      }
    }
    const payload: string | Uint8Array = isBinary ? data : data.toString('utf8')
    this.#dispatch(socket, 'ws-message', (eventId, version, sockets) => ({
      type: 'ws-message', eventId, appId: this.#o.appId, version, object: socket.object, sockets, socketId: socket.id, data: payload,
    }), () => this.#o.counters.messagesLost++)
  }

  #onError(socket: AppSocket, error: Error): void {
    if (socket.state !== 'open') return
    // ws closed the socket for a protocol violation and stops reading, so its close event
    // says 1006: remember the code it sent (RFC 6455 §7.4.1) for the log and the app.
    socket.violation ??= violationCode((error as Error & { code?: string }).code)
    socket.closedBy ??= 'edge'
    this.#dispatch(socket, 'ws-error', (eventId, version, sockets) => ({
      type: 'ws-error', eventId, appId: this.#o.appId, version, object: socket.object, sockets, socketId: socket.id, message: error.message,
    }), () => {})
  }

  #onClose(socket: AppSocket, closeCode: number, closeReason: string): void {
    if (socket.state === 'closed') return
    const code = socket.violation ?? closeCode
    const reason = socket.violation ? closeReason || 'protocol violation' : closeReason
    socket.state = 'closed'
    socket.closedBy ??= 'client'
    this.#o.counters.socketsClosed++
    socket.hooks?.ended(true, { closeCode: code, closedBy: socket.closedBy ?? 'client' })
    socket.hooks = undefined
    this.#o.logger.info({
      event: 'ws_close', id: socket.connectionId, site: this.#o.site(), mode: socket.mode, ...objectFields(socket.object),
      client_ip: socket.clientIp, duration_ms: Date.now() - socket.startedAt,
      messages_in: socket.messagesIn, messages_out: socket.messagesOut, bytes_in: socket.bytesIn, bytes_out: socket.bytesOut,
      close_code: code, close_reason: reason || undefined, closed_by: socket.closedBy,
    }, 'websocket closed')
    this.#deliverClose(socket, code, reason, code !== 1006 && socket.violation === undefined)
  }

  /** Tells the app the socket closed; the record goes once the app has seen it. */
  #deliverClose(socket: AppSocket, code: number, reason: string, wasClean: boolean): void {
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      this.#o.sockets.delete(socket)
      if (socket.mode === 'accept') this.#o.acceptClosed(socket.version)
      this.#o.removed()
    }
    this.#dispatch(socket, 'ws-close', (eventId, version, sockets) => ({
      type: 'ws-close', eventId, appId: this.#o.appId, version, object: socket.object, sockets, socketId: socket.id, code, reason, wasClean,
    }), finish, finish)
  }

  #dispatch(socket: AppSocket, what: string, make: AppEvent['make'], lost: () => void, done: () => void = () => {}): void {
    const event: AppEvent = {
      make,
      version: socket.mode === 'accept' ? socket.version : undefined,
      done: (entry) => {
        if (entry.error !== undefined || entry.limit !== undefined) this.#o.outcome(entry, what, socket.object)
        done()
      },
      lost,
    }
    if (!socket.object) return this.#o.router.toWorker(event)
    if (this.#o.router.toObject(socket.object, event, socket.objectKey)) return
    // The object has too many events pending: this client is shed (RFC 6455 §7.4.1 1013).
    lost()
    if (what === 'ws-message') {
      this.#o.counters.overloadCloses++
      this.#closeFromEdge(socket, ErrorCatalogue.WEDGE_OBJECT_OVERLOADED.close, ErrorCatalogue.WEDGE_OBJECT_OVERLOADED.message)
    } else {
      done()
    }
  }
}

/** The close code ws sent for one of its receiver errors (ws lib/receiver.js). */
function violationCode(code: string | undefined): number {
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
    case 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH': return 1009
    case 'WS_ERR_INVALID_UTF8': return 1007
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS': return 1008
    default: return 1002
  }
}

export function objectFields(object: ObjectAddress | undefined): Record<string, string | undefined> {
  if (!object) return {}
  return { object_class: object.className, object_id: object.objectId, object_name: object.name }
}

/**
 * Counters of an app socket for metering. Wire bytes are payload plus the smallest frame
 * headers (6 bytes from the client with its mask, 2 to it; larger for long messages is not
 * tracked per message here), so they are a close lower bound.
 */
function socketTraffic(socket: AppSocket): { fromClient: DirectionCounters; toClient: DirectionCounters } {
  return {
    fromClient: { messages: socket.messagesIn, frames: socket.messagesIn, payloadBytes: socket.bytesIn, wireBytes: socket.bytesIn + 6 * socket.messagesIn },
    toClient: { messages: socket.messagesOut, frames: socket.messagesOut, payloadBytes: socket.bytesOut, wireBytes: socket.bytesOut + 2 * socket.messagesOut },
  }
}
