/**
 * A token bucket for messages per second on one connection: `perSecond` tokens a second,
 * holding at most `burst`. Time is read only when a message arrives, so an idle connection
 * costs nothing.
 */
export class MessageRateLimiter {
  readonly #perMs: number
  readonly #burst: number
  #tokens: number
  #last: number

  constructor(perSecond: number, burst: number) {
    this.#perMs = perSecond / 1000
    this.#burst = Math.max(1, burst)
    this.#tokens = this.#burst
    this.#last = performance.now()
  }

  /** Takes one token; false when the bucket is empty (the message is over the limit). */
  take(): boolean {
    const now = performance.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs)
    this.#last = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
