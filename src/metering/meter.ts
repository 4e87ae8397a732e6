import { Registry } from 'prom-client'
import { MeterMetrics } from './meter-metrics.js'
import type { ConnectionEnd, MeteredConnection } from './metered-connection.js'
import { siteLive, updateRates, type SiteLive } from './site-live.js'
import { addTraffic, clearTraffic, ConnectionCursor, SiteTally, type Traffic, type UpstreamTally } from './site-tally.js'
import { UsageMinutes } from './usage-minutes.js'
import { MINUTE_MS, minuteOf, type UsageRecord } from './usage-record.js'
import type { UsageStore } from './usage-store.js'

export type { DirectionRates, SiteLive } from './site-live.js'

export interface MeterOptions {
  /** Where the metrics are registered (default: a new Registry, never prom-client's global one). One Meter per registry. */
  registry?: Registry
  /** Where completed minutes are flushed; without it usage records are dropped once complete. */
  usage?: UsageStore
  /** Sweep interval in ms (default 1000). Ticks also fall on every minute boundary. */
  tickMs?: number
  /** Wall clock, epoch ms (default Date.now); read as whole ms. */
  now?: () => number
  /** A failed flush (its records are kept and retried on the next one) or a failed tick. Default: process.emitWarning. */
  onError?: (error: unknown) => void
}

/**
 * Live counters and per-minute usage of every site. Nothing here runs per message: the relay
 * keeps plain counters on each connection, and every tick the meter sweeps the open
 * connections once, accounting what each counted since the previous look (O(open
 * connections) per tick). See docs/metering.md for what is counted where.
 */
export class Meter {
  readonly registry: Registry
  readonly #metrics: MeterMetrics
  readonly #usage: UsageStore | undefined
  readonly #tickMs: number
  readonly #now: () => number
  readonly #onError: (error: unknown) => void
  readonly #sites = new Map<string, SiteTally>()
  readonly #cursors = new Map<MeteredConnection, ConnectionCursor>()
  readonly #minutes = new UsageMinutes()
  /** Time of the last sweep: open connections' time is accounted up to here. */
  #lastSweep: number
  /** Start of the interval the current `rates` numerators cover. */
  #ratesSince: number
  /** Latest clock reading: a wall clock stepping back must not make negative intervals. */
  #latest = 0
  #timer: NodeJS.Timeout | undefined
  #running = false

  constructor(options: MeterOptions = {}) {
    this.registry = options.registry ?? new Registry()
    const sites = this.#sites
    this.#metrics = new MeterMetrics(this.registry, {
      sites: () => sites.values(),
      *upstreams() {
        for (const site of sites.values()) yield* site.upstreams.values()
      },
    })
    this.#usage = options.usage
    this.#tickMs = options.tickMs ?? 1000
    if (!(this.#tickMs > 0)) throw new RangeError(`tickMs must be a positive number of ms, got ${this.#tickMs}`)
    this.#now = options.now ?? Date.now
    this.#onError = options.onError ?? ((error) => process.emitWarning(error instanceof Error ? error : String(error), 'WedgeMeterWarning'))
    this.#lastSweep = this.#ratesSince = this.#clock()
  }

  /** A connection was established; its time counts from `startedAt` (or now, if later). */
  opened(connection: MeteredConnection): void {
    if (this.#cursors.has(connection)) return
    const now = this.#clock()
    const site = this.#site(connection.site)
    const upstream = site.upstream(connection.upstream, connection.kind)
    this.#cursors.set(connection, new ConnectionCursor(connection, upstream, Math.min(Math.floor(connection.startedAt), now)))
    site.open++
    upstream.open++
    this.#minutes.notePeak(site.name, now, site.open)
  }

  /** A connection ended: its last traffic and the rest of its time are accounted now. */
  closed(connection: MeteredConnection, end: ConnectionEnd): void {
    const cursor = this.#cursors.get(connection)
    if (!cursor) return
    this.#cursors.delete(connection)
    const now = this.#clock()
    const upstream = cursor.upstream
    const site = upstream.site
    const accountedUntil = cursor.accountedUntil
    cursor.advance()
    this.#addTime(site, accountedUntil, now)
    this.#settle(upstream)
    // The count held over [last event, now): noted at its last ms, so a close on a minute
    // boundary does not make the new minute's peak.
    this.#minutes.notePeak(site.name, Math.max(now - 1, accountedUntil), site.open)
    site.open--
    upstream.open--
    this.#metrics.closed(site.name, end.closeCode)
    if (end.error !== undefined) this.#metrics.event(site.name, 'connection_error', '')
  }

  /** A WebSocket handshake: 'accepted', or the refusal's error code. */
  handshake(site: string, outcome: 'accepted' | string): void {
    const tally = this.#site(site)
    const record = this.#minutes.record(site, minuteOf(this.#clock()))
    if (outcome === 'accepted') {
      tally.handshakesAccepted++
      record.handshakesAccepted++
    } else {
      tally.handshakesRefused++
      record.handshakesRefused++
    }
    this.#metrics.handshake(site, outcome)
  }

  limitHit(site: string, code: string): void {
    this.#metrics.limitHit(site, code)
  }

  event(site: string, name: 'isolate_restart' | 'runner_restart' | 'error' | string, labels: { class?: string } = {}): void {
    this.#metrics.event(site, name, labels.class ?? '')
  }

  /** Sweeps now, updates the rates and flushes every completed minute. start() calls it every tick. */
  tick(): void {
    const now = this.#sweep()
    const seconds = (now - this.#ratesSince) / 1000
    if (seconds > 0) {
      for (const site of this.#sites.values()) updateRates(site, seconds)
      this.#ratesSince = now
    }
    this.#flush(minuteOf(now))
  }

  /** Sweeps now and writes every pending record to the store, the current partial minute too. */
  flush(): void {
    this.#sweep()
    this.#flush(Infinity)
  }

  /** Usage accrued but not flushed yet (copies), oldest minute first. */
  pending(): UsageRecord[] {
    return this.#minutes.snapshot()
  }

  live(): SiteLive[] {
    return [...this.#sites.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(siteLive)
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#schedule()
  }

  /** Stops ticking and flushes all usage, the current partial minute included. */
  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.flush()
  }

  /** The next tick: after tickMs, or at the next minute boundary if that comes first (so minutes close on time). */
  #schedule(): void {
    const now = this.#now()
    const delay = Math.max(1, Math.min(this.#tickMs, MINUTE_MS - (now % MINUTE_MS)))
    this.#timer = setTimeout(() => {
      try {
        this.tick()
      } catch (error) {
        this.#onError(error)
      }
      if (this.#running) this.#schedule()
    }, delay)
    this.#timer.unref()
  }

  /**
   * Accounts every open connection up to now. Traffic seen by this sweep belongs to the
   * minute in which the interval since the previous sweep began; connection time is split
   * exactly at minute boundaries.
   */
  #sweep(): number {
    const now = this.#clock()
    const last = this.#lastSweep
    for (const cursor of this.#cursors.values()) {
      cursor.advance()
      // Most connections were accounted up to the last sweep: their time is added per site below.
      if (cursor.accountedUntil === last) cursor.upstream.site.steady++
      else this.#addTime(cursor.upstream.site, cursor.accountedUntil, now)
      cursor.accountedUntil = now
    }
    for (const site of this.#sites.values()) {
      if (site.steady > 0) this.#addTime(site, last, now, site.steady)
      site.steady = 0
      for (const upstream of site.upstreams.values()) this.#settle(upstream)
      if (site.open > 0) this.#minutes.notePeak(site.name, now, site.open)
    }
    this.#lastSweep = now
    return now
  }

  /** Moves an upstream's pending traffic into its totals (which the metrics read) and the usage record. */
  #settle(upstream: UpstreamTally): void {
    const pending = upstream.pending
    if (isZero(pending)) return
    const site = upstream.site
    this.#minutes.addTraffic(site.name, minuteOf(this.#lastSweep), pending.fromClient, pending.toClient)
    addTraffic(upstream.totals, pending)
    addTraffic(site.totals, pending)
    addTraffic(site.sinceTick, pending)
    clearTraffic(pending)
  }

  #addTime(site: SiteTally, from: number, to: number, count = 1): void {
    if (to <= from) return
    this.#minutes.addConnectionTime(site.name, from, to, count)
    site.connectionMs += (to - from) * count
  }

  #flush(before: number): void {
    const records = this.#minutes.take(before)
    if (records.length === 0 || !this.#usage) return
    try {
      this.#usage.flush(records)
    } catch (error) {
      this.#minutes.restore(records)
      this.#onError(error)
    }
  }

  #site(name: string): SiteTally {
    let site = this.#sites.get(name)
    if (!site) this.#sites.set(name, (site = new SiteTally(name)))
    return site
  }

  #clock(): number {
    const now = Math.floor(this.#now())
    if (now > this.#latest) this.#latest = now
    return this.#latest
  }
}

function isZero(traffic: Traffic): boolean {
  const { fromClient: f, toClient: t } = traffic
  return f.messages === 0 && f.frames === 0 && f.payloadBytes === 0 && f.wireBytes === 0 && t.messages === 0 && t.frames === 0 && t.payloadBytes === 0 && t.wireBytes === 0
}
