import { trafficLabels, type TrafficLabels } from './meter-metrics.js'
import { emptyDirection, type DirectionCounters, type MeteredConnection } from './metered-connection.js'

/** Traffic both ways, the shape of `MeteredConnection.traffic()`. */
export interface Traffic {
  fromClient: DirectionCounters
  toClient: DirectionCounters
}

export function emptyTraffic(): Traffic {
  return { fromClient: emptyDirection(), toClient: emptyDirection() }
}

export function addTraffic(target: Traffic, delta: Traffic): void {
  addDirection(target.fromClient, delta.fromClient)
  addDirection(target.toClient, delta.toClient)
}

export function clearTraffic(traffic: Traffic): void {
  clearDirection(traffic.fromClient)
  clearDirection(traffic.toClient)
}

function addDirection(target: DirectionCounters, delta: DirectionCounters): void {
  target.messages += delta.messages
  target.frames += delta.frames
  target.payloadBytes += delta.payloadBytes
  target.wireBytes += delta.wireBytes
}

function clearDirection(counters: DirectionCounters): void {
  counters.messages = 0
  counters.frames = 0
  counters.payloadBytes = 0
  counters.wireBytes = 0
}

/** Most upstreams tracked per site; connections to further ones are counted as upstream "other". */
export const MAX_UPSTREAMS_PER_SITE = 256

/** Totals of one (site, upstream): the unit of the traffic metrics' label sets. */
export class UpstreamTally {
  readonly labels: TrafficLabels
  open = 0
  /** Everything accounted so far. */
  readonly totals = emptyTraffic()
  /** Accounted by the current sweep or a close, not yet added to totals, records and metrics. */
  readonly pending = emptyTraffic()

  constructor(readonly site: SiteTally, readonly name: string, readonly kind: MeteredConnection['kind']) {
    this.labels = trafficLabels(site.name, name)
  }
}

/** Totals of one site, and what the meter needs between ticks. */
export class SiteTally {
  open = 0
  /** Connection time accounted so far (ms, exact). */
  connectionMs = 0
  /** Scratch of one sweep: connections whose time runs from the previous tick. */
  steady = 0
  handshakesAccepted = 0
  handshakesRefused = 0
  readonly totals = emptyTraffic()
  /** Traffic accounted since the last tick: the numerator of `rates`. */
  readonly sinceTick = emptyTraffic()
  /** Per-second rates over the last tick interval. */
  readonly rates = emptyTraffic()
  readonly upstreams = new Map<string, UpstreamTally>()

  constructor(readonly name: string) {}

  upstream(name: string, kind: MeteredConnection['kind']): UpstreamTally {
    let tally = this.upstreams.get(name)
    if (tally) return tally
    // "other" is the one tally allowed beyond the cap.
    if (this.upstreams.size >= MAX_UPSTREAMS_PER_SITE) name = 'other'
    tally = this.upstreams.get(name)
    if (!tally) this.upstreams.set(name, (tally = new UpstreamTally(this, name, kind)))
    return tally
  }
}

/**
 * The meter's view of one open connection: the counters it had at the last look, and up to
 * when its connection time was accounted. Plain fields, read and written once per tick.
 */
export class ConnectionCursor {
  fromMessages = 0
  fromFrames = 0
  fromPayload = 0
  fromWire = 0
  toMessages = 0
  toFrames = 0
  toPayload = 0
  toWire = 0

  constructor(
    readonly connection: MeteredConnection,
    readonly upstream: UpstreamTally,
    /** Epoch ms up to which this connection's time is accounted. */
    public accountedUntil: number,
  ) {}

  /**
   * Adds what the connection counted since the last look to its upstream's pending traffic.
   * A counter that went down (a producer bug) becomes the new baseline instead of a negative
   * delta, which would make a Prometheus counter throw and a usage record invalid.
   */
  advance(): void {
    const { fromClient, toClient } = this.connection.traffic()
    const from = this.upstream.pending.fromClient
    const to = this.upstream.pending.toClient
    if (fromClient.messages > this.fromMessages) from.messages += fromClient.messages - this.fromMessages
    if (fromClient.frames > this.fromFrames) from.frames += fromClient.frames - this.fromFrames
    if (fromClient.payloadBytes > this.fromPayload) from.payloadBytes += fromClient.payloadBytes - this.fromPayload
    if (fromClient.wireBytes > this.fromWire) from.wireBytes += fromClient.wireBytes - this.fromWire
    if (toClient.messages > this.toMessages) to.messages += toClient.messages - this.toMessages
    if (toClient.frames > this.toFrames) to.frames += toClient.frames - this.toFrames
    if (toClient.payloadBytes > this.toPayload) to.payloadBytes += toClient.payloadBytes - this.toPayload
    if (toClient.wireBytes > this.toWire) to.wireBytes += toClient.wireBytes - this.toWire
    this.fromMessages = fromClient.messages
    this.fromFrames = fromClient.frames
    this.fromPayload = fromClient.payloadBytes
    this.fromWire = fromClient.wireBytes
    this.toMessages = toClient.messages
    this.toFrames = toClient.frames
    this.toPayload = toClient.payloadBytes
    this.toWire = toClient.wireBytes
  }
}
