/**
 * Micro benchmark of the meter's sweep: one tick over 8,000 open connections (40 sites × 4
 * upstreams), every connection with new traffic since the previous tick, against a bare loop
 * that only reads the same counters (the least any sweep could cost). Also opened()+closed()
 * per connection, and what a 1 s tick costs as a share of one core.
 * Run: npx tsc -p . && node dist/bench/metering.js [CONNECTIONS]. Bounded: TICKS ticks per run.
 */
import { Meter } from '../src/metering/meter.js'
import type { DirectionCounters, MeteredConnection } from '../src/metering/metered-connection.js'

const CONNECTIONS = Number(process.argv[2] ?? 8000)
const TICKS = 400
const SITES = 40
const UPSTREAMS = 4

class Source implements MeteredConnection {
  readonly kind = 'proxy' as const
  readonly fromClient: DirectionCounters = { messages: 0, frames: 0, payloadBytes: 0, wireBytes: 0 }
  readonly toClient: DirectionCounters = { messages: 0, frames: 0, payloadBytes: 0, wireBytes: 0 }
  readonly #traffic = { fromClient: this.fromClient, toClient: this.toClient }
  constructor(readonly id: string, readonly site: string, readonly upstream: string, readonly startedAt: number) {}
  traffic(): { fromClient: DirectionCounters; toClient: DirectionCounters } {
    return this.#traffic
  }
}

/** What the relay does between ticks: a few messages each way on every connection. */
function traffic(sources: Source[]): void {
  for (const source of sources) {
    source.fromClient.messages += 3
    source.fromClient.frames += 3
    source.fromClient.payloadBytes += 300
    source.fromClient.wireBytes += 318
    source.toClient.messages += 5
    source.toClient.frames += 5
    source.toClient.payloadBytes += 5000
    source.toClient.wireBytes += 5020
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

let time = Date.UTC(2025, 0, 1)
const meter = new Meter({ now: () => time })
const sources = Array.from({ length: CONNECTIONS }, (_, i) => new Source(`c${i}`, `site-${i % SITES}`, `origin-${Math.floor(i / SITES) % UPSTREAMS}`, time))
for (const source of sources) meter.opened(source)

const tickUs: number[] = []
for (let i = 0; i < TICKS; i++) {
  traffic(sources)
  time += 1000
  const started = process.hrtime.bigint()
  meter.tick()
  tickUs.push(Number(process.hrtime.bigint() - started) / 1000)
}

// The floor: read every connection's eight counters, nothing else.
let sink = 0
const bareUs: number[] = []
for (let i = 0; i < TICKS; i++) {
  traffic(sources)
  const started = process.hrtime.bigint()
  for (const source of sources) {
    const { fromClient: f, toClient: t } = source.traffic()
    sink += f.messages + f.frames + f.payloadBytes + f.wireBytes + t.messages + t.frames + t.payloadBytes + t.wireBytes
  }
  bareUs.push(Number(process.hrtime.bigint() - started) / 1000)
}

// Connection churn: close and reopen 2,000 connections, 10 rounds; the first 5 warm up.
const churn = sources.slice(0, 2000)
let churnNs = 0
for (let round = 0; round < 10; round++) {
  const started = process.hrtime.bigint()
  for (const source of churn) {
    source.toClient.messages++
    meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  }
  for (const source of churn) meter.opened(source)
  if (round >= 5) churnNs += Number(process.hrtime.bigint() - started) / churn.length / 5
}
await meter.stop()

const sorted = [...tickUs.slice(TICKS / 4)].sort((a, b) => a - b)
const bare = [...bareUs.slice(TICKS / 4)].sort((a, b) => a - b)
const median = percentile(sorted, 0.5)
console.table([{
  connections: CONNECTIONS,
  'tick median µs': median.toFixed(0),
  'tick p99 µs': percentile(sorted, 0.99).toFixed(0),
  'ns/connection': ((median * 1000) / CONNECTIONS).toFixed(0),
  'bare read median µs': percentile(bare, 0.5).toFixed(0),
  'tick / bare read': (median / percentile(bare, 0.5)).toFixed(1),
  'one core at 1 tick/s': `${((median / 1e6) * 100).toFixed(3)} %`,
  'opened+closed ns': churnNs.toFixed(0),
}])
console.log(`node ${process.version}, ${TICKS} ticks (first quarter is warm-up, not counted), sink ${sink}`)
