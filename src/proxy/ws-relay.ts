import type { Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { FrameScanner, FORWARD, DROP, type FrameInfo } from '../protocol/frame-scanner.js'
import { Opcode } from '../protocol/opcodes.js'
import { buildCloseFrame, buildPingFrame, parseClosePayload } from '../protocol/frames.js'
import type { WebSocketConfig } from '../config/schema.js'
import { ErrorCatalogue, type ErrorCode } from '../errors.js'
import { MessageRateLimiter } from './message-rate.js'
import { copyOf, type OriginInput } from './origin-input.js'

export type Side = 'client' | 'origin' | 'edge'

export interface RelayOptions {
  ws: WebSocketConfig
  /** RSV bits the negotiated extensions allow (from the origin's 101). */
  allowedRsv: number
  /** Relay raw bytes without scanning (benchmark baseline only: no limits, no counts). */
  noScan?: boolean
}

export interface RelayEnd {
  closeCode: number | undefined
  closeReason: string
  closedBy: Side
  error: ErrorCode | undefined
}

/** Live per-direction counters, read by logs and metering at any time. */
export interface DirectionCounters {
  messages: number
  frames: number
  payloadBytes: number
  wireBytes: number
  droppedMessages: number
}

const CLOSE_GRACE_MS = 2000
const PING_TOKEN_BYTES = 8

/**
 * Relays one proxied WebSocket after the handshake: bytes flow unchanged between the client
 * and origin sockets, each direction through a FrameScanner that counts, enforces limits and
 * lets the edge inject its own control frames at frame boundaries. The relay owns both
 * sockets from here on and always ends by destroying both.
 */
export class WsRelay {
  readonly client: Socket
  readonly origin: Socket
  readonly startedAt = Date.now()
  /** client → origin */
  readonly upstream: FrameScanner
  /** origin → client */
  readonly downstream: FrameScanner
  readonly #options: RelayOptions
  readonly #onEnd: (end: RelayEnd) => void
  readonly #rate: MessageRateLimiter | undefined
  readonly #noScan: boolean
  readonly #maxBuffered: number
  readonly #writeToOrigin = (bytes: Buffer): void => { this.origin.write(bytes) }
  readonly #writeToClient = (bytes: Buffer): void => { this.client.write(bytes) }
  /** Origin bytes read into the shared buffer (origin-input.ts) are written as a copy. */
  readonly #copyToClient = (bytes: Buffer): void => { this.client.write(copyOf(bytes)) }
  #originEmit = this.#writeToClient
  #clientPing: Buffer | undefined
  #originPing: Buffer | undefined
  #pingTimer: NodeJS.Timeout | undefined
  #originPingTimer: NodeJS.Timeout | undefined
  #idleTimer: NodeJS.Timeout | undefined
  #slowTimers: { client?: NodeJS.Timeout; origin?: NodeJS.Timeout } = {}
  #end: RelayEnd | undefined
  #closeCode: number | undefined
  #closeReason = ''
  #closeFrom: Side | undefined
  /** A peer sent its Close frame. */
  #closeSeen = { client: false, origin: false }
  /** A Close frame (the other peer's or the edge's) went out towards this side. */
  #closeSent = { client: false, origin: false }
  #finished = false
  #grace: NodeJS.Timeout | undefined

  constructor(client: Socket, origin: Socket, options: RelayOptions, onEnd: (end: RelayEnd) => void) {
    this.client = client
    this.origin = origin
    this.#options = options
    this.#onEnd = onEnd
    this.#noScan = options.noScan === true
    const ws = options.ws
    this.#maxBuffered = ws.max_buffered
    this.#rate = ws.client_message_rate ? new MessageRateLimiter(ws.client_message_rate.per_second, ws.client_message_rate.burst ?? ws.client_message_rate.per_second) : undefined
    this.upstream = new FrameScanner(
      { requireMask: true, maxMessageSize: ws.max_message_size || Infinity, allowedRsv: options.allowedRsv },
      {
        onFrame: (frame) => this.#onClientFrame(frame),
        onMessage: () => {},
        onViolation: (code, reason) => this.#onViolation('client', code, reason),
      },
    )
    this.downstream = new FrameScanner(
      { requireMask: false, maxMessageSize: ws.max_message_size || Infinity, allowedRsv: options.allowedRsv },
      {
        onFrame: (frame) => this.#onOriginFrame(frame),
        onMessage: () => {},
        onViolation: (code, reason) => this.#onViolation('origin', code, reason),
      },
    )
  }

  /**
   * Starts relaying. `clientHead`/`originHead` are bytes already read past the handshakes.
   * With `originInput` the origin socket reads through it (a shared buffer, no 'data' events).
   */
  start(clientHead: Buffer, originHead: Buffer, originInput?: OriginInput): void {
    const { client, origin } = this
    client.setNoDelay(true)
    origin.setNoDelay(true)
    client.setTimeout(0)
    origin.setTimeout(0)
    client.on('data', (chunk: Buffer) => this.#fromClient(chunk))
    if (originInput) this.#originEmit = this.#copyToClient
    else origin.on('data', (chunk: Buffer) => this.#fromOrigin(chunk))
    client.on('drain', () => this.#drained('client'))
    origin.on('drain', () => this.#drained('origin'))
    client.on('end', () => this.#peerEnded('client'))
    origin.on('end', () => this.#peerEnded('origin'))
    client.on('error', () => this.#peerEnded('client'))
    origin.on('error', () => this.#peerEnded('origin'))
    client.on('close', () => this.#peerEnded('client'))
    origin.on('close', () => this.#peerEnded('origin'))
    this.#startTimers()
    if (originHead.length > 0) this.#fromOrigin(originHead)
    // After the head: reads held since the handshake ended come next, in order.
    originInput?.readTo((bytes) => this.#fromOrigin(bytes))
    if (clientHead.length > 0) this.#fromClient(clientHead)
  }

  get finished(): boolean {
    return this.#finished
  }

  /** Closes both sides with a close frame (e.g. 1001 on graceful stop), then destroys them. */
  close(code: ErrorCode | number, reason?: string): void {
    const closeCode = typeof code === 'number' ? code : ErrorCatalogue[code].close
    const text = reason ?? (typeof code === 'number' ? '' : ErrorCatalogue[code].message)
    this.#edgeClose(closeCode, text, typeof code === 'number' ? undefined : code, 'both')
  }

  #fromClient(chunk: Buffer): void {
    if (this.#finished) return // draining after the end: read and discard, never write
    if (this.#noScan) this.origin.write(chunk)
    else this.upstream.push(chunk, this.#writeToOrigin)
    if (this.origin.writableLength > this.#maxBuffered) this.#overBuffered('origin', this.client)
  }

  #fromOrigin(chunk: Buffer): void {
    if (this.#finished) return
    if (this.#noScan) this.#originEmit(chunk)
    else this.downstream.push(chunk, this.#originEmit)
    if (this.client.writableLength > this.#maxBuffered) this.#overBuffered('client', this.origin)
  }

  #onClientFrame(frame: FrameInfo): 0 | 1 {
    const op = frame.opcode
    if (op === Opcode.PONG && this.#clientPing && frame.payload?.equals(this.#clientPing)) {
      this.#clientPing = undefined
      return DROP
    }
    if (op === Opcode.CLOSE) this.#noteClose('client', frame.payload)
    else if (op === Opcode.TEXT || op === Opcode.BINARY) {
      this.#touch()
      if (this.#rate && !this.#rate.take()) {
        if (this.#options.ws.client_message_rate?.action === 'drop') return DROP
        queueMicrotask(() => this.#edgeClose(ErrorCatalogue.WEDGE_MESSAGE_RATE.close, 'message rate limit exceeded', 'WEDGE_MESSAGE_RATE', 'both'))
        return DROP
      }
    } else if (op === Opcode.CONTINUATION) this.#touch()
    return FORWARD
  }

  #onOriginFrame(frame: FrameInfo): 0 | 1 {
    const op = frame.opcode
    if (op === Opcode.PONG && this.#originPing && frame.payload?.equals(this.#originPing)) {
      this.#originPing = undefined
      return DROP
    }
    if (op === Opcode.CLOSE) this.#noteClose('origin', frame.payload)
    else if (op <= Opcode.BINARY) this.#touch()
    return FORWARD
  }

  #noteClose(from: 'client' | 'origin', payload: Buffer | undefined): void {
    this.#closeSeen[from] = true
    this.#closeSent[from === 'client' ? 'origin' : 'client'] = true
    if (this.#closeFrom === undefined) {
      const parsed = parseClosePayload(payload ?? Buffer.alloc(0))
      this.#closeFrom = from
      this.#closeCode = parsed.code ?? 1005
      this.#closeReason = parsed.reason
    }
  }

  #onViolation(from: 'client' | 'origin', code: 1002 | 1009, reason: string): void {
    const error: ErrorCode = code === 1009 ? 'WEDGE_MESSAGE_TOO_BIG' : 'WEDGE_PROTOCOL_ERROR'
    // The offender learns the rule it broke; the innocent side hears why the session ends.
    // An origin that breaks the protocol is a bad gateway to the client (1014).
    const toClient = from === 'client' || code === 1009 ? code : 1014
    const text = `${from} ${reason}`
    queueMicrotask(() => {
      this.#sendClose('client', toClient, text)
      this.#sendClose('origin', code, text)
      this.#finish({ closeCode: toClient, closeReason: text, closedBy: 'edge', error })
    })
  }

  /** Writes an edge close frame towards `to` at the next frame boundary of that stream. */
  #sendClose(to: 'client' | 'origin', code: number, reason: string): void {
    const toClient = to === 'client'
    const socket = toClient ? this.client : this.origin
    // One Close frame per direction (§5.5.1): skip when the peer's own Close already went out.
    if (socket.destroyed || this.#closeSent[to]) return
    this.#closeSent[to] = true
    const scanner = toClient ? this.downstream : this.upstream
    const frame = buildCloseFrame(code, reason, !toClient)
    // A scanner stopped by a violation emitted everything before the bad frame: the stream
    // is at a frame boundary, so the close goes out directly.
    if (scanner.closed) socket.write(frame)
    else scanner.inject(frame, toClient ? this.#writeToClient : this.#writeToOrigin)
  }

  #edgeClose(code: number, reason: string, error: ErrorCode | undefined, sides: 'both' | 'client' | 'origin'): void {
    if (this.#finished) return
    if (sides !== 'origin') this.#sendClose('client', code, reason)
    if (sides !== 'client') this.#sendClose('origin', code, reason)
    this.#finish({ closeCode: code, closeReason: reason, closedBy: 'edge', error })
  }

  /** One TCP side ended or failed. If its close handshake did not happen, tell the other side why. */
  #peerEnded(side: 'client' | 'origin'): void {
    if (this.#finished) {
      // Both closed within the grace: drop the timer so the relay is not kept alive for it.
      if (this.#grace !== undefined && this.client.destroyed && this.origin.destroyed) {
        clearTimeout(this.#grace)
        this.#grace = undefined
      }
      return
    }
    const graceful = this.#closeSeen[side]
    if (side === 'origin') {
      if (!graceful) this.#sendClose('client', 1014, 'origin connection lost')
      this.#finish(graceful ? this.#peerClose() : { closeCode: 1014, closeReason: 'origin connection lost', closedBy: 'origin', error: 'WEDGE_ORIGIN_GONE' })
    } else {
      if (!graceful) this.#sendClose('origin', 1001, 'client connection lost')
      this.#finish(graceful ? this.#peerClose() : { closeCode: 1006, closeReason: 'client connection lost', closedBy: 'client', error: undefined })
    }
  }

  #peerClose(): RelayEnd {
    return { closeCode: this.#closeCode, closeReason: this.#closeReason, closedBy: this.#closeFrom ?? 'edge', error: undefined }
  }

  /**
   * Ends the relay: both sockets are half-closed now (the close frames written so far still
   * go out, then FIN). They keep being read and discarded until the peer closes too, because
   * closing a socket with unread input sends RST, which can make the peer lose our close
   * frame. A peer that never finishes is destroyed after a short grace.
   */
  #finish(end: RelayEnd): void {
    if (this.#finished) return
    this.#finished = true
    this.#end = end
    this.#stopTimers()
    clearTimeout(this.#slowTimers.client)
    clearTimeout(this.#slowTimers.origin)
    closeGracefully(this.client)
    closeGracefully(this.origin)
    if (!this.client.destroyed || !this.origin.destroyed) {
      this.#grace = setTimeout(() => { this.client.destroy(); this.origin.destroy() }, CLOSE_GRACE_MS)
      this.#grace.unref()
    }
    this.#onEnd(end)
  }

  get end(): RelayEnd | undefined {
    return this.#end
  }

  /** Backpressure: pause the reading side while the writing side holds more than max_buffered. */
  #overBuffered(writer: 'client' | 'origin', reader: Socket): void {
    if (reader.isPaused()) return
    reader.pause()
    const timeout = this.#options.ws.slow_reader_timeout
    this.#slowTimers[writer] = setTimeout(() => this.#slowReader(writer), timeout)
    this.#slowTimers[writer].unref()
  }

  #drained(writer: 'client' | 'origin'): void {
    const target = writer === 'client' ? this.client : this.origin
    if (target.writableLength > this.#maxBuffered) return
    clearTimeout(this.#slowTimers[writer])
    this.#slowTimers[writer] = undefined
    if (!this.#finished) (writer === 'client' ? this.origin : this.client).resume()
  }

  #slowReader(writer: 'client' | 'origin'): void {
    const code = ErrorCatalogue.WEDGE_SLOW_CONSUMER.close
    this.#edgeClose(code, `${writer} did not read fast enough`, 'WEDGE_SLOW_CONSUMER', 'both')
    // The slow side is not reading, so its close frame may never leave: do not wait for it.
    ;(writer === 'client' ? this.client : this.origin).destroy()
  }

  #touch(): void {
    this.#idleTimer?.refresh()
  }

  #startTimers(): void {
    const ws = this.#options.ws
    if (ws.idle_timeout > 0) {
      this.#idleTimer = setTimeout(() => this.#edgeClose(1001, 'idle timeout', 'WEDGE_IDLE_TIMEOUT', 'both'), ws.idle_timeout)
    }
    if (ws.ping_interval > 0) this.#pingTimer = setTimeout(() => this.#pingClient(), ws.ping_interval)
    if (ws.origin_ping_interval > 0) this.#originPingTimer = setTimeout(() => this.#pingOrigin(), ws.origin_ping_interval)
  }

  #pingClient(): void {
    if (this.#finished) return
    if (this.#clientPing) {
      this.#edgeClose(1001, 'client did not answer ping', 'WEDGE_PING_TIMEOUT', 'both')
      return
    }
    this.#clientPing = randomBytes(PING_TOKEN_BYTES)
    this.downstream.inject(buildPingFrame(this.#clientPing, false), this.#writeToClient)
    this.#pingTimer = setTimeout(() => this.#pingTimeoutCheck('client'), this.#options.ws.ping_timeout)
  }

  #pingOrigin(): void {
    if (this.#finished) return
    if (this.#originPing) {
      this.#edgeClose(1014, 'origin did not answer ping', 'WEDGE_PING_TIMEOUT', 'both')
      return
    }
    this.#originPing = randomBytes(PING_TOKEN_BYTES)
    this.upstream.inject(buildPingFrame(this.#originPing, true), this.#writeToOrigin)
    this.#originPingTimer = setTimeout(() => this.#pingTimeoutCheck('origin'), this.#options.ws.ping_timeout)
  }

  /** After ping_timeout: closed if still unanswered, else wait out the rest of the interval. */
  #pingTimeoutCheck(peer: 'client' | 'origin'): void {
    const ws = this.#options.ws
    const rest = Math.max(0, (peer === 'client' ? ws.ping_interval : ws.origin_ping_interval) - ws.ping_timeout)
    if (peer === 'client') {
      if (this.#clientPing) return this.#pingClient()
      this.#pingTimer = setTimeout(() => this.#pingClient(), rest)
    } else {
      if (this.#originPing) return this.#pingOrigin()
      this.#originPingTimer = setTimeout(() => this.#pingOrigin(), rest)
    }
  }

  #stopTimers(): void {
    clearTimeout(this.#pingTimer)
    clearTimeout(this.#originPingTimer)
    clearTimeout(this.#idleTimer)
    clearTimeout(this.#slowTimers.client)
    clearTimeout(this.#slowTimers.origin)
  }

  /** Counters per direction, for logs and metering. */
  counters(): { fromClient: DirectionCounters; fromOrigin: DirectionCounters } {
    return { fromClient: countersOf(this.upstream), fromOrigin: countersOf(this.downstream) }
  }
}

function countersOf(scanner: FrameScanner): DirectionCounters {
  return {
    messages: scanner.messages,
    frames: scanner.frames,
    payloadBytes: scanner.payloadBytes,
    wireBytes: scanner.wireBytes,
    droppedMessages: scanner.droppedMessages,
  }
}

/**
 * Half-closes a socket and keeps reading (and discarding) until the peer closes too. A peer
 * that already sent its FIN and has nothing queued towards it is closed at once: close(2)
 * still sends our FIN after the bytes the kernel holds, and there is no unread input that
 * would turn it into a RST, so a shutdown(2) first would only cost a syscall.
 */
function closeGracefully(socket: Socket): void {
  if (socket.destroyed) return
  if (socket.readableEnded && socket.writableLength === 0) {
    socket.destroy()
    return
  }
  socket.end()
  socket.resume()
}
