import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client'
import type { DirectionCounters } from './metered-connection.js'

/**
 * Most distinct values one label may take per site (handshake outcomes, limit codes, event
 * names, classes); later values are counted as "other". Callers pass catalogue codes, so this
 * only guards the series count against a caller that passes free text.
 */
export const MAX_LABEL_VALUES_PER_SITE = 64
export const OTHER_LABEL = 'other'

/**
 * The metric label of a close code: the standard codes of RFC 6455 §7.4.1 and the IANA
 * registry (1000–1015) as themselves, the registered-library range 3000–3999 as "3xxx", the
 * private range 4000–4999 as "4xxx" (so applications cannot mint series), anything else as
 * "other", and "none" when the socket ended without a close code.
 */
export function closeCodeLabel(code: number | undefined): string {
  if (code === undefined) return 'none'
  if (!Number.isInteger(code)) return OTHER_LABEL
  if (code >= 1000 && code <= 1015) return String(code)
  if (code >= 3000 && code <= 3999) return '3xxx'
  if (code >= 4000 && code <= 4999) return '4xxx'
  return OTHER_LABEL
}

/** Label sets of one (site, upstream), built once so that scrapes do not rebuild them. */
export interface TrafficLabels {
  fromClient: { site: string; upstream: string; direction: 'from_client' }
  toClient: { site: string; upstream: string; direction: 'to_client' }
  connection: { site: string; upstream: string }
}

export function trafficLabels(site: string, upstream: string): TrafficLabels {
  return {
    fromClient: { site, upstream, direction: 'from_client' },
    toClient: { site, upstream, direction: 'to_client' },
    connection: { site, upstream },
  }
}

const TRAFFIC_LABELS = ['site', 'upstream', 'direction'] as const

/** What the meter keeps per (site, upstream) and per site; read at scrape time. */
export interface MeteredTotals {
  upstreams(): Iterable<{ readonly labels: TrafficLabels; readonly open: number; readonly totals: { fromClient: DirectionCounters; toClient: DirectionCounters } }>
  sites(): Iterable<{ readonly name: string; readonly connectionMs: number }>
}

type TrafficField = keyof DirectionCounters

/**
 * The Prometheus side of the meter: one set of metrics on one registry. Gauges and traffic
 * counters are read from the meter's own totals when scraped (`collect`), so a tick costs no
 * prom-client work at all (its label hashing is ~0.5 µs per increment); per-event counters
 * (handshakes, closes, limits, events) are incremented as they happen.
 */
export class MeterMetrics {
  readonly #handshakes: Counter<'site' | 'outcome'>
  readonly #closeCodes: Counter<'site' | 'code'>
  readonly #limitHits: Counter<'site' | 'code'>
  readonly #events: Counter<'site' | 'name' | 'class'>
  /** "<site>\0<label>" → values seen, for MAX_LABEL_VALUES_PER_SITE. */
  readonly #labelValues = new Map<string, Set<string>>()

  constructor(registry: Registry, totals: MeteredTotals) {
    const registers = [registry]
    // A registry handed in may already carry the process metrics (registering twice throws).
    if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry })
    new Gauge({
      name: 'wedge_connections_open', help: 'WebSocket connections open now', labelNames: ['site', 'upstream'], registers,
      collect() {
        this.reset()
        for (const upstream of totals.upstreams()) this.set(upstream.labels.connection, upstream.open)
      },
    })
    new Counter({
      name: 'wedge_connection_seconds_total', help: 'Connection time accrued by open and closed connections, counted every tick while open', labelNames: ['site'], registers,
      // Exact ms summed by the meter, divided once: a float sum of per-tick seconds would drift.
      collect() {
        this.reset()
        for (const site of totals.sites()) if (site.connectionMs > 0) this.inc({ site: site.name }, site.connectionMs / 1000)
      },
    })
    trafficCounter(registry, totals, 'wedge_messages_total', 'WebSocket data messages relayed', 'messages')
    trafficCounter(registry, totals, 'wedge_frames_total', 'WebSocket frames relayed, control frames included', 'frames')
    trafficCounter(registry, totals, 'wedge_payload_bytes_total', 'Payload bytes of data frames relayed', 'payloadBytes')
    trafficCounter(registry, totals, 'wedge_wire_bytes_total', 'Bytes relayed on the wire, frame headers and control frames included', 'wireBytes')
    this.#handshakes = new Counter({ name: 'wedge_handshakes_total', help: 'WebSocket handshakes by outcome: "accepted" or the refusal code', labelNames: ['site', 'outcome'], registers })
    this.#closeCodes = new Counter({ name: 'wedge_close_codes_total', help: 'Connections closed, by close code (1000-1015 as is, 3xxx, 4xxx, other, none)', labelNames: ['site', 'code'], registers })
    this.#limitHits = new Counter({ name: 'wedge_limit_hits_total', help: 'Limits applied, by error code', labelNames: ['site', 'code'], registers })
    this.#events = new Counter({ name: 'wedge_events_total', help: 'Isolate and runner restarts, errors and other events', labelNames: ['site', 'name', 'class'], registers })
  }

  closed(site: string, closeCode: number | undefined): void {
    this.#closeCodes.inc({ site, code: closeCodeLabel(closeCode) })
  }

  handshake(site: string, outcome: string): void {
    this.#handshakes.inc({ site, outcome: this.#bounded(site, 'outcome', outcome) })
  }

  limitHit(site: string, code: string): void {
    this.#limitHits.inc({ site, code: this.#bounded(site, 'code', code) })
  }

  event(site: string, name: string, className: string): void {
    this.#events.inc({ site, name: this.#bounded(site, 'name', name), class: this.#bounded(site, 'class', className) })
  }

  #bounded(site: string, label: string, value: string): string {
    const key = `${site}\0${label}`
    let values = this.#labelValues.get(key)
    if (!values) this.#labelValues.set(key, (values = new Set()))
    if (values.has(value)) return value
    if (values.size >= MAX_LABEL_VALUES_PER_SITE) return OTHER_LABEL
    values.add(value)
    return value
  }
}

/** A counter per direction of one traffic field, filled from the totals at scrape time; zero totals make no series. */
function trafficCounter(registry: Registry, totals: MeteredTotals, name: string, help: string, field: TrafficField): void {
  new Counter({
    name, help, labelNames: TRAFFIC_LABELS, registers: [registry],
    collect() {
      this.reset()
      for (const upstream of totals.upstreams()) {
        if (upstream.totals.fromClient[field] > 0) this.inc(upstream.labels.fromClient, upstream.totals.fromClient[field])
        if (upstream.totals.toClient[field] > 0) this.inc(upstream.labels.toClient, upstream.totals.toClient[field])
      }
    },
  })
}
