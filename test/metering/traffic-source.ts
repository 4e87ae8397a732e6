import type { DirectionCounters, MeteredConnection } from '../../src/metering/metered-connection.js'

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public time: number) {}
  readonly now = (): number => this.time
  advance(ms: number): number {
    this.time += ms
    return this.time
  }
}

/** Wire size of one unmasked data frame with this payload (RFC 6455 §5.2 header lengths). */
export function frameWireBytes(payload: number, masked: boolean): number {
  const header = payload < 126 ? 2 : payload < 65_536 ? 4 : 10
  return header + (masked ? 4 : 0) + payload
}

/**
 * A connection whose counters the test advances, as the relay's scanners do: a plain data
 * producer for the meter (it reads counters and nothing else).
 */
export class TrafficSource implements MeteredConnection {
  readonly fromClient: DirectionCounters = { messages: 0, frames: 0, payloadBytes: 0, wireBytes: 0 }
  readonly toClient: DirectionCounters = { messages: 0, frames: 0, payloadBytes: 0, wireBytes: 0 }
  readonly #traffic = { fromClient: this.fromClient, toClient: this.toClient }

  constructor(
    readonly id: string,
    readonly site: string,
    readonly startedAt: number,
    readonly upstream = 'origin-1',
    readonly kind: MeteredConnection['kind'] = 'proxy',
  ) {}

  traffic(): { fromClient: DirectionCounters; toClient: DirectionCounters } {
    return this.#traffic
  }

  /** `count` single-frame messages of `payload` bytes; client frames are masked (RFC 6455 §5.3). */
  send(direction: 'fromClient' | 'toClient', count: number, payload: number): void {
    const counters = this[direction]
    counters.messages += count
    counters.frames += count
    counters.payloadBytes += count * payload
    counters.wireBytes += count * frameWireBytes(payload, direction === 'fromClient')
  }
}
