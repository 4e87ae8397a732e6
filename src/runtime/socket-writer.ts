import type { Duplex } from 'node:stream'
import { WebSocket } from 'ws'
import { ErrorCatalogue } from '../errors.js'
import type { AppSocket } from './socket-table.js'
import type { RuntimeCounters } from './runtime-counters.js'

/** A reader this many times over max_buffered is closed at once, not after the timeout. */
const HARD_BUFFER_FACTOR = 64

/**
 * Writes pre-built frames to client sockets, bypassing ws's sender (the same bytes go to
 * many sockets; ws writes whole frames too, so frames never interleave). Coalesces frames
 * to one socket within a tick and closes readers that stay over `max_buffered`.
 */
export class SocketWriter {
  readonly #counters: RuntimeCounters
  readonly #limits: () => { maxBuffered: number; slowReaderMs: number }
  readonly #close: (socket: AppSocket, code: number, reason: string) => void
  readonly #corked = new Set<Duplex>()
  #tick = 1
  #tickScheduled = false

  constructor(counters: RuntimeCounters, limits: () => { maxBuffered: number; slowReaderMs: number }, close: (socket: AppSocket, code: number, reason: string) => void) {
    this.#counters = counters
    this.#limits = limits
    this.#close = close
  }

  write(socket: AppSocket, frame: Buffer): void {
    const ws = socket.ws
    if (!ws || ws.readyState !== WebSocket.OPEN || !socket.raw) return
    this.#cork(socket, socket.raw)
    socket.raw.write(frame)
    socket.messagesOut++
    socket.bytesOut += frame.length
    this.#counters.messagesOut++
    const buffered = socket.raw.writableLength
    const { maxBuffered, slowReaderMs } = this.#limits()
    if (buffered <= maxBuffered) {
      socket.overSince = 0
      return
    }
    const now = performance.now()
    if (socket.overSince === 0) socket.overSince = now
    if (buffered > maxBuffered * HARD_BUFFER_FACTOR || now - socket.overSince > slowReaderMs) {
      this.#close(socket, ErrorCatalogue.WEDGE_SLOW_CONSUMER.close, ErrorCatalogue.WEDGE_SLOW_CONSUMER.message)
    }
  }

  /**
   * Frames written to one socket in the same tick (a runner batch carries many ws-send
   * entries) should leave in one syscall, but corking a socket that gets a single frame
   * only adds work: the first write goes out at once, a second one in the same tick corks
   * the socket until the tick's work is done.
   */
  #cork(socket: AppSocket, raw: Duplex): void {
    if (!this.#tickScheduled) {
      this.#tickScheduled = true
      process.nextTick(() => this.#endTick())
    }
    if (socket.writeTick !== this.#tick) {
      socket.writeTick = this.#tick
    } else if (!this.#corked.has(raw)) {
      raw.cork()
      this.#corked.add(raw)
    }
  }

  #endTick(): void {
    this.#tickScheduled = false
    this.#tick++
    for (const raw of this.#corked) raw.uncork()
    this.#corked.clear()
  }
}
