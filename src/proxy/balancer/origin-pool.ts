import type { IncomingHttpHeaders } from 'node:http'
import type { SiteConfig } from '../../config/schema.js'
import { HashRing } from './hash-ring.js'
import { hashKeyOf } from './hash-key.js'
import { HealthChecker, type BalancerLogger } from './health-checker.js'
import { Origin } from './origin.js'
import { SmoothRoundRobin } from './round-robin.js'

export type { BalancerLogger } from './health-checker.js'

export interface OriginPoolOptions {
  logger: BalancerLogger
  /** Clock in epoch ms for passive cooldowns; tests pass a fake one. */
  now?: () => number
}

/** What a pick needs from the request: its target and headers (for `hash_on`). */
export interface PickRequest {
  url?: string
  headers: IncomingHttpHeaders
}

/**
 * The origins of one site and the choice between them: balancing policy, in-flight
 * counts, passive and active health. One pool per site, kept across config reloads.
 */
export class OriginPool {
  #site: SiteConfig
  #origins: Origin[] = []
  #roundRobin = new SmoothRoundRobin<Origin>()
  #ring: HashRing<Origin> | undefined
  #checker: HealthChecker | undefined
  #started = false
  readonly #logger: BalancerLogger
  readonly #now: () => number

  constructor(site: SiteConfig, options: OriginPoolOptions) {
    this.#site = site
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.#adopt(site)
  }

  /** The origins of the current config, in config order. */
  get origins(): readonly Origin[] {
    return this.#origins
  }

  /** Picks an available origin for this request, skipping `tried`. Undefined when none. */
  pick(request: PickRequest, tried?: ReadonlySet<Origin>): Origin | undefined {
    const usable = (origin: Origin) => origin.available && !tried?.has(origin)
    const { policy, hash_on: hashOn } = this.#site.balance
    if (policy === 'hash' && hashOn !== undefined && this.#ring) {
      const key = hashKeyOf(request, hashOn)
      if (key !== undefined) return this.#ring.pick(key, usable)
    }
    const candidates = this.#origins.filter(usable)
    if (policy === 'least_connections') return this.#roundRobin.pick(leastLoaded(candidates))
    return this.#roundRobin.pick(candidates)
  }

  /** Counts a connection or request now in flight to `origin`. */
  acquire(origin: Origin): void {
    origin.active++
  }

  /** Ends what `acquire` counted; safe on origins a reload removed. */
  release(origin: Origin): void {
    if (origin.active > 0) origin.active--
  }

  /** A request or handshake to `origin` succeeded: ends a half-open trial. */
  reportSuccess(origin: Origin): void {
    if (origin.recordSuccess()) {
      this.#logger.info({ site: this.#site.name, origin: origin.id }, 'origin up: a request succeeded after its cooldown')
    }
  }

  /**
   * A connect failure or a 5xx answer to a handshake. `passive_health.failures` in a row
   * take the origin out for `cooldown`; after that one request decides (half-open).
   */
  reportFailure(origin: Origin, reason: string): void {
    const { failures, cooldown } = this.#site.passive_health
    if (origin.recordFailure(failures, cooldown)) {
      this.#logger.warn(
        { site: this.#site.name, origin: origin.id, reason, failures: origin.state().consecutiveFailures, cooldown },
        'origin down: requests to it fail',
      )
    }
  }

  /** Begins active health checks if the site configures them. */
  start(): void {
    this.#started = true
    this.#checker?.start()
  }

  /** Stops health check timers and aborts checks in flight. */
  stop(): void {
    this.#started = false
    this.#checker?.stop()
  }

  /**
   * Adopts a reloaded site config. Origins whose URL is unchanged keep their state (active
   * count, health); removed ones stay valid for `release` and reports but are no longer
   * picked or checked.
   */
  update(site: SiteConfig): void {
    const previous = this.#site
    this.#site = site
    this.#adopt(site, previous)
  }

  #adopt(site: SiteConfig, previous?: SiteConfig): void {
    const existing = new Map(this.#origins.map((origin) => [origin.id, origin]))
    const origins: Origin[] = []
    const seen = new Set<string>()
    for (const config of site.origins ?? []) {
      const id = new URL(config.url).href
      if (seen.has(id)) {
        this.#logger.warn({ site: site.name, origin: id }, 'origin listed twice; the first entry is used')
        continue
      }
      seen.add(id)
      const origin = existing.get(id) ?? new Origin(config, this.#now)
      origin.weight = config.weight
      origin.maxConnections = config.max_connections
      origins.push(origin)
    }
    this.#origins = origins
    this.#ring = site.balance.policy === 'hash' ? new HashRing(origins) : undefined
    this.#adoptHealthCheck(site, previous)
  }

  #adoptHealthCheck(site: SiteConfig, previous: SiteConfig | undefined): void {
    const same = previous !== undefined &&
      JSON.stringify([previous.health_check, previous.origin_tls]) === JSON.stringify([site.health_check, site.origin_tls])
    if (!same) {
      this.#checker?.stop()
      this.#checker = site.health_check === undefined
        ? undefined
        : new HealthChecker(site.name, site.health_check, site.origin_tls, this.#logger)
      if (this.#checker === undefined) for (const origin of this.#origins) origin.clearActiveCheck()
    }
    this.#checker?.track(this.#origins)
    if (this.#started) this.#checker?.start()
  }
}

/** The candidates with the fewest in-flight per unit of weight (nginx least_conn). */
function leastLoaded(candidates: readonly Origin[]): Origin[] {
  let best: Origin[] = []
  for (const candidate of candidates) {
    // a/wa < b/wb without division: a·wb < b·wa.
    const order = best.length === 0 ? -1 : candidate.active * best[0]!.weight - best[0]!.active * candidate.weight
    if (order < 0) best = [candidate]
    else if (order === 0) best.push(candidate)
  }
  return best
}
