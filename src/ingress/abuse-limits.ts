import type { SiteLimitsConfig } from '../config/schema.js'
import type { ErrorCode } from '../errors.js'

interface Bucket {
  tokens: number
  last: number
}

const SWEEP_EVERY_MS = 10_000

/**
 * Per-site admission: concurrent connections per site and per client IP, and handshakes per
 * second per IP (a token bucket with a one-second burst). State is per site and survives a
 * reload of the same site name, so a reload cannot be used to reset an attacker's counters.
 */
export class AbuseLimits {
  #limits: SiteLimitsConfig
  #open = 0
  readonly #openByIp = new Map<string, number>()
  readonly #buckets = new Map<string, Bucket>()
  #lastSweep = performance.now()

  constructor(limits: SiteLimitsConfig) {
    this.#limits = limits
  }

  update(limits: SiteLimitsConfig): void {
    this.#limits = limits
  }

  get open(): number {
    return this.#open
  }

  /**
   * Admits one connection from `ip`, or names the limit it hits. An admitted connection
   * must call the returned release exactly once (extra calls are ignored).
   */
  admit(ip: string, handshake: boolean): { ok: true; release: () => void } | { ok: false; code: ErrorCode } {
    const limits = this.#limits
    if (handshake && limits.handshakes_per_second_per_ip && !this.#takeHandshake(ip, limits.handshakes_per_second_per_ip)) {
      return { ok: false, code: 'WEDGE_IP_HANDSHAKE_RATE' }
    }
    if (limits.max_connections !== undefined && this.#open >= limits.max_connections) {
      return { ok: false, code: 'WEDGE_SITE_CONNECTION_LIMIT' }
    }
    const fromIp = this.#openByIp.get(ip) ?? 0
    if (limits.max_connections_per_ip !== undefined && fromIp >= limits.max_connections_per_ip) {
      return { ok: false, code: 'WEDGE_IP_CONNECTION_LIMIT' }
    }
    this.#open++
    this.#openByIp.set(ip, fromIp + 1)
    let released = false
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        this.#open--
        const left = (this.#openByIp.get(ip) ?? 1) - 1
        if (left <= 0) this.#openByIp.delete(ip)
        else this.#openByIp.set(ip, left)
      },
    }
  }

  #takeHandshake(ip: string, perSecond: number): boolean {
    const now = performance.now()
    if (now - this.#lastSweep > SWEEP_EVERY_MS) this.#sweep(now, perSecond)
    let bucket = this.#buckets.get(ip)
    if (!bucket) this.#buckets.set(ip, (bucket = { tokens: perSecond, last: now }))
    bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.last) * perSecond) / 1000)
    bucket.last = now
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Forgets buckets that have refilled completely, so the map stays as small as the active set. */
  #sweep(now: number, perSecond: number): void {
    this.#lastSweep = now
    for (const [ip, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.last) * perSecond) / 1000 >= perSecond) this.#buckets.delete(ip)
    }
  }
}
