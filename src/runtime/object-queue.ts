/** One event waiting for its object: `start` sends it and calls `finish` once it is over. */
export interface QueuedEvent {
  start(finish: () => void): void
  /** The event will never start (the object cannot be served here). */
  fail(reason: string): void
}

export const OBJECT_QUEUE_DEFAULTS = {
  /** Events waiting or in flight for one object; more are refused ("object overloaded"). */
  limit: 1_000,
  /**
   * Events in flight to the runner at once for one object. The runner runs them one at a
   * time anyway (its input gate); a small window hides the IPC round trip without letting
   * the gateway lose control of routing decisions (version, socket snapshot) for long.
   * It also sets how many of one object's events share a runner call and a pipe frame:
   * with 16, one room with 16 busy clients did ~22-33k echoes/s at ~20 µs each (the
   * object waited on round trips); with 128, ~100k at ~10 µs (bench:apps, wedge-object-1).
   */
  window: 128,
} as const

/**
 * The gateway half of an object's input gate: events are started in arrival order, at most
 * `window` at a time, and at most `limit` may be pending. A paused queue (placement not
 * decided yet, version loading) keeps events waiting.
 */
export class ObjectQueue {
  readonly #limit: number
  readonly #window: number
  #waiting: QueuedEvent[] = []
  #head = 0
  #inFlight = 0
  #paused: boolean
  #pumping = false

  constructor(options: { limit?: number; window?: number; paused?: boolean } = {}) {
    this.#limit = options.limit ?? OBJECT_QUEUE_DEFAULTS.limit
    this.#window = options.window ?? OBJECT_QUEUE_DEFAULTS.window
    this.#paused = options.paused ?? false
  }

  /** Events waiting or in flight. */
  get pending(): number {
    return this.#waiting.length - this.#head + this.#inFlight
  }

  get idle(): boolean {
    return this.pending === 0
  }

  /** Queues an event; false (nothing queued) when the object already has `limit` pending. */
  push(event: QueuedEvent): boolean {
    if (this.pending >= this.#limit) return false
    this.#waiting.push(event)
    this.#pump()
    return true
  }

  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    this.#pump()
  }

  /** Removes every waiting event (not those in flight) and returns them, oldest first. */
  drain(): QueuedEvent[] {
    const waiting = this.#waiting.slice(this.#head)
    this.#waiting = []
    this.#head = 0
    return waiting
  }

  #pump(): void {
    // `start` may finish synchronously (a lost event): loop instead of recursing.
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (!this.#paused && this.#inFlight < this.#window && this.#head < this.#waiting.length) {
        const event = this.#waiting[this.#head]!
        this.#waiting[this.#head++] = undefined as unknown as QueuedEvent
        if (this.#head > 64 && this.#head * 2 > this.#waiting.length) {
          this.#waiting = this.#waiting.slice(this.#head)
          this.#head = 0
        }
        this.#inFlight++
        let finished = false
        event.start(() => {
          if (finished) return
          finished = true
          this.#inFlight--
          this.#pump()
        })
      }
    } finally {
      this.#pumping = false
    }
  }
}
