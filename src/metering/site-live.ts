import type { DirectionCounters, MeteredConnection } from './metered-connection.js'
import { clearTraffic, type SiteTally, type Traffic } from './site-tally.js'

export interface DirectionRates {
  messagesPerSecond: number
  framesPerSecond: number
  payloadBytesPerSecond: number
  wireBytesPerSecond: number
}

/** One site as the dashboard shows it: numbers as of the last tick (or close). */
export interface SiteLive {
  site: string
  open: number
  /** Connection time accrued since the meter was created, open connections included. */
  connectionSeconds: number
  /** Per-second rates over the last tick interval. */
  rates: { fromClient: DirectionRates; toClient: DirectionRates }
  totals: { fromClient: DirectionCounters; toClient: DirectionCounters }
  handshakes: { accepted: number; refused: number }
  upstreams: { upstream: string; kind: MeteredConnection['kind']; open: number; totals: { fromClient: DirectionCounters; toClient: DirectionCounters } }[]
}

/** Turns the traffic accounted since the last rate update into per-second rates. */
export function updateRates(site: SiteTally, seconds: number): void {
  for (const direction of ['fromClient', 'toClient'] as const) {
    const since = site.sinceTick[direction]
    const rate = site.rates[direction]
    rate.messages = since.messages / seconds
    rate.frames = since.frames / seconds
    rate.payloadBytes = since.payloadBytes / seconds
    rate.wireBytes = since.wireBytes / seconds
  }
  clearTraffic(site.sinceTick)
}

function copyTraffic(traffic: Traffic): { fromClient: DirectionCounters; toClient: DirectionCounters } {
  return { fromClient: { ...traffic.fromClient }, toClient: { ...traffic.toClient } }
}

function directionRates(rate: DirectionCounters): DirectionRates {
  return { messagesPerSecond: rate.messages, framesPerSecond: rate.frames, payloadBytesPerSecond: rate.payloadBytes, wireBytesPerSecond: rate.wireBytes }
}

export function siteLive(site: SiteTally): SiteLive {
  return {
    site: site.name,
    open: site.open,
    connectionSeconds: site.connectionMs / 1000,
    rates: { fromClient: directionRates(site.rates.fromClient), toClient: directionRates(site.rates.toClient) },
    totals: copyTraffic(site.totals),
    handshakes: { accepted: site.handshakesAccepted, refused: site.handshakesRefused },
    upstreams: [...site.upstreams.values()].map((upstream) => ({ upstream: upstream.name, kind: upstream.kind, open: upstream.open, totals: copyTraffic(upstream.totals) })),
  }
}
