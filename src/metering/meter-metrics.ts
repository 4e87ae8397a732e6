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

/** Label sets of one (site, upstream), built once so a tick does not allocate them. */
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

/** The Prometheus side of the meter: one set of metrics on one registry. */
export class MeterMetrics {
  readonly #connectionsOpen: Gauge<'site' | 'upstream'>
  readonly #handshakes: Counter<'site' | 'outcome'>
  readonly #connectionSeconds: Counter<'site'>
  readonly #messages: Counter<(typeof TRAFFIC_LABELS)[number]>
  readonly #payloadBytes: Counter<(typeof TRAFFIC_LABELS)[number]>
  readonly #wireBytes: Counter<(typeof TRAFFIC_LABELS)[number]>
  readonly #frames: Counter<(typeof TRAFFIC_LABELS)[number]>
  readonly #closeCodes: Counter<'site' | 'code'>
  readonly #limitHits: Counter<'site' | 'code'>
  readonly #events: Counter<'site' | 'name' | 'class'>
  /** "<site>\0<label>" → values seen, for MAX_LABEL_VALUES_PER_SITE. */
  readonly #labelValues = new Map<string, Set<string>>()

  constructor(registry: Registry) {
    const registers = [registry]
    // A registry handed in may already carry the process metrics (registering twice throws).
    if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry })
    this.#connectionsOpen = new Gauge({ name: 'wedge_connections_open', help: 'WebSocket connections open now', labelNames: ['site', 'upstream'], registers })
    this.#handshakes = new Counter({ name: 'wedge_handshakes_total', help: 'WebSocket handshakes by outcome: "accepted" or the refusal code', labelNames: ['site', 'outcome'], registers })
    this.#connectionSeconds = new Counter({ name: 'wedge_connection_seconds_total', help: 'Connection time accrued by open and closed connections, counted every tick while open', labelNames: ['site'], registers })
    this.#messages = new Counter({ name: 'wedge_messages_total', help: 'WebSocket data messages relayed', labelNames: TRAFFIC_LABELS, registers })
    this.#payloadBytes = new Counter({ name: 'wedge_payload_bytes_total', help: 'Payload bytes of data frames relayed', labelNames: TRAFFIC_LABELS, registers })
    this.#wireBytes = new Counter({ name: 'wedge_wire_bytes_total', help: 'Bytes relayed on the wire, frame headers and control frames included', labelNames: TRAFFIC_LABELS, registers })
    this.#frames = new Counter({ name: 'wedge_frames_total', help: 'WebSocket frames relayed, control frames included', labelNames: TRAFFIC_LABELS, registers })
    this.#closeCodes = new Counter({ name: 'wedge_close_codes_total', help: 'Connections closed, by close code (1000-1015 as is, 3xxx, 4xxx, other, none)', labelNames: ['site', 'code'], registers })
    this.#limitHits = new Counter({ name: 'wedge_limit_hits_total', help: 'Limits applied, by error code', labelNames: ['site', 'code'], registers })
    this.#events = new Counter({ name: 'wedge_events_total', help: 'Isolate and runner restarts, errors and other events', labelNames: ['site', 'name', 'class'], registers })
  }

  connectionOpened(labels: TrafficLabels): void {
    this.#connectionsOpen.inc(labels.connection)
  }

  connectionClosed(labels: TrafficLabels, closeCode: number | undefined): void {
    this.#connectionsOpen.dec(labels.connection)
    this.#closeCodes.inc({ site: labels.connection.site, code: closeCodeLabel(closeCode) })
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

  connectionTime(site: string, ms: number): void {
    if (ms > 0) this.#connectionSeconds.inc({ site }, ms / 1000)
  }

  /** Adds one tick's deltas of one (site, upstream); zero and negative deltas add nothing. */
  traffic(labels: TrafficLabels, fromClient: DirectionCounters, toClient: DirectionCounters): void {
    this.#direction(labels.fromClient, fromClient)
    this.#direction(labels.toClient, toClient)
  }

  #direction(labels: TrafficLabels['fromClient'] | TrafficLabels['toClient'], delta: DirectionCounters): void {
    if (delta.messages > 0) this.#messages.inc(labels, delta.messages)
    if (delta.frames > 0) this.#frames.inc(labels, delta.frames)
    if (delta.payloadBytes > 0) this.#payloadBytes.inc(labels, delta.payloadBytes)
    if (delta.wireBytes > 0) this.#wireBytes.inc(labels, delta.wireBytes)
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
