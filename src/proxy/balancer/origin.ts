import type { OriginConfig } from '../../config/schema.js'

/** The outcome of the latest active health check of one origin. */
export interface CheckResult {
  /** Epoch milliseconds when the check finished. */
  at: number
  ok: boolean
  /** "200", "status 500", "timeout", "ECONNREFUSED"… */
  detail: string
}

/** A snapshot of one origin's live state, for the admin API and logs. */
export interface OriginState {
  id: string
  healthy: boolean
  active: number
  weight: number
  lastCheck?: CheckResult
  /** Consecutive failures reported by the proxy (passive health), reset by a success. */
  consecutiveFailures: number
}

/**
 * The live state of one origin: weight, in-flight count and health. The pool owns the
 * transitions; proxy code only reads `available` and goes through the pool to change it.
 */
export class Origin {
  readonly url: URL
  /** `url.href`: the identity kept across config reloads. */
  readonly id: string
  weight: number
  maxConnections: number | undefined
  /** Connections or requests in flight now. */
  active = 0

  /** Set by active health checks; origins start up so a fresh edge serves at once. */
  #activeUp = true
  /** Epoch ms until which passive detection keeps the origin out; 0 when not tripped. */
  #cooldownUntil = 0
  /** After a cooldown the next outcome decides: one success closes, one failure re-opens. */
  #halfOpen = false
  #consecutiveFailures = 0
  #lastCheck: CheckResult | undefined
  readonly #now: () => number

  /** @param now clock in epoch ms, injectable so cooldowns are testable without sleeping */
  constructor(config: OriginConfig, now: () => number = Date.now) {
    this.#now = now
    this.url = new URL(config.url)
    this.id = this.url.href
    this.weight = config.weight
    this.maxConnections = config.max_connections
  }

  /** False while active checks say down or a passive cooldown is running. */
  get healthy(): boolean {
    return this.#activeUp && !this.coolingDown
  }

  /** Healthy and below max_connections: may be handed a new request. */
  get available(): boolean {
    return this.healthy && (this.maxConnections === undefined || this.active < this.maxConnections)
  }

  /** True while a passive cooldown is running. */
  get coolingDown(): boolean {
    return this.#cooldownUntil > this.#now()
  }

  get activeUp(): boolean {
    return this.#activeUp
  }

  state(): OriginState {
    return {
      id: this.id,
      healthy: this.healthy,
      active: this.active,
      weight: this.weight,
      ...(this.#lastCheck ? { lastCheck: { ...this.#lastCheck } } : {}),
      consecutiveFailures: this.#consecutiveFailures,
    }
  }

  /** Records an active check outcome; the health checker decides thresholds. */
  recordCheck(result: CheckResult, up: boolean): void {
    this.#lastCheck = result
    this.#activeUp = up
  }

  /** Forgets active check results: without checks nothing could bring the origin back. */
  clearActiveCheck(): void {
    this.#lastCheck = undefined
    this.#activeUp = true
  }

  /** Passive success. Returns true when it ended a half-open trial (origin is back). */
  recordSuccess(): boolean {
    this.#consecutiveFailures = 0
    const recovered = this.#halfOpen && !this.coolingDown
    if (recovered) this.#halfOpen = false
    return recovered
  }

  /**
   * Passive failure. Trips the cooldown after `threshold` consecutive failures. The count is
   * only reset by a success, so a failure in the half-open trial after a cooldown trips it
   * again at once. Returns true when this call tripped it.
   */
  recordFailure(threshold: number, cooldown: number): boolean {
    this.#consecutiveFailures++
    if (this.coolingDown) return false // outcomes of requests started before the trip
    if (this.#consecutiveFailures < threshold) return false
    this.#cooldownUntil = this.#now() + cooldown
    this.#halfOpen = true
    return true
  }
}
