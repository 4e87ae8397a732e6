import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { EchoLoopResult } from './echo-loop.js'
import type { HandshakeResult } from './handshakes.js'
import type { LatencyResult } from './latency.js'
import { NOISE_LIMIT_PERCENT } from './jobs.js'

/**
 * Turns per-peer results into the printed table, the ratio lines (each proxy vs direct, Wedge
 * vs nginx and HAProxy against the targets) and the JSON report.
 */

export interface Measured<T> {
  result: T
  /** CPU used by the proxy's process group during the job, in % of one core (wall clock). */
  proxyCpuPercent: number | undefined
  /** CPU used by the origin and load generator (core 0), in % of one core. */
  loadCpuPercent: number
  /** CPU used meanwhile by other user processes (noise; a lower bound), in % of one core. */
  otherCpuPercent: number
  /** The other processes that used the most CPU meanwhile (by command name). */
  otherTop?: Array<{ name: string, seconds: number }>
  /** How many times the job ran (re-run while the machine was noisy; the quietest is kept). */
  attempts?: number
}

export interface MemoryResult {
  connections: number
  failed: number
  rssBeforeBytes: number
  rssAfterBytes: number
  bytesPerConnection: number
  processes: number
}

export interface PeerResult {
  name: string
  skipped?: string
  errors: string[]
  /** Other processes' CPU (% of a core) in the quiet check before this peer started. */
  noiseBeforePercent?: number
  roundTrip?: Measured<EchoLoopResult>
  latency?: Measured<LatencyResult>
  throughput?: Measured<EchoLoopResult>
  handshakes?: Measured<HandshakeResult>
  memory?: MemoryResult
  /** Last lines of the proxy's error log / stderr. */
  proxyLog?: string
}

export interface BenchReport {
  date: string
  machine: Record<string, unknown>
  settings: Record<string, unknown>
  peers: PeerResult[]
  ratios?: Ratios
}

type Direction = 'higher' | 'lower'

interface Metric {
  key: string
  job: 'roundTrip' | 'latency' | 'throughput' | 'handshakes' | 'memory'
  label: string
  better: Direction
  value(peer: PeerResult): number | undefined
  format(value: number): string
  /** Wedge / nginx must be ≥ (higher) or ≤ (lower) this. */
  target: number
}

const integer = (value: number): string => Math.round(value).toLocaleString('en-US')
const millis = (value: number): string => value.toFixed(3)
const oneDecimal = (value: number): string => value.toFixed(1)

export const METRICS: readonly Metric[] = [
  { key: 'roundTrip', job: 'roundTrip', label: 'round-trip msg/s (100 conn, 64 B)', better: 'higher', value: (p) => p.roundTrip?.result.messagesPerSecond, format: integer, target: 0.9 },
  { key: 'p50', job: 'latency', label: 'latency p50 ms @ 10k msg/s', better: 'lower', value: (p) => p.latency?.result.fromScheduled.p50, format: millis, target: Infinity },
  { key: 'p99', job: 'latency', label: 'latency p99 ms @ 10k msg/s', better: 'lower', value: (p) => p.latency?.result.fromScheduled.p99, format: millis, target: 1.2 },
  { key: 'throughput', job: 'throughput', label: 'throughput MB/s (8 conn, 64 KiB)', better: 'higher', value: (p) => p.throughput?.result.megabytesPerSecond, format: oneDecimal, target: 1.0 },
  { key: 'handshakes', job: 'handshakes', label: 'handshakes/s (connect+upgrade+close)', better: 'higher', value: (p) => p.handshakes?.result.handshakesPerSecond, format: integer, target: 0.8 },
  { key: 'memory', job: 'memory', label: 'memory bytes / idle conn', better: 'lower', value: (p) => p.memory?.bytesPerConnection, format: integer, target: 1.0 },
]

const measuredJobs = (p: PeerResult): Array<Measured<unknown>> =>
  [p.roundTrip, p.latency, p.throughput, p.handshakes].filter((job): job is Measured<never> => job !== undefined)

/** Where the CPU went: shows which side was the bottleneck and how noisy the machine was. */
const CPU_ROWS: ReadonlyArray<[string, (p: PeerResult) => number | undefined]> = [
  ['proxy CPU % round-trip', (p) => p.roundTrip?.proxyCpuPercent],
  ['proxy CPU % latency', (p) => p.latency?.proxyCpuPercent],
  ['proxy CPU % throughput', (p) => p.throughput?.proxyCpuPercent],
  ['proxy CPU % handshakes', (p) => p.handshakes?.proxyCpuPercent],
  ['load core CPU % round-trip', (p) => p.roundTrip?.loadCpuPercent],
  ['other processes CPU % (noise, max)', (p) => {
    const values = measuredJobs(p).map((job) => job.otherCpuPercent)
    return values.length === 0 ? undefined : Math.max(...values)
  }],
  ['jobs re-run for noise', (p) => measuredJobs(p).reduce((sum, job) => sum + (job.attempts ?? 1) - 1, 0)],
]

export interface Ratios {
  /** metric → proxy → proxy/direct */
  vsDirect: Record<string, Record<string, number>>
  /** metric → "wedge/nginx" etc. → ratio */
  wedgeVsPeers: Record<string, Record<string, number>>
  /** metric → target verdict for wedge vs nginx; `doubt` says why the verdict may not hold */
  targets: Record<string, { target: string, ratio: number | undefined, met: boolean | undefined, doubt: string | undefined }>
  /** metric → direct / best proxy (higher-is-better) or best proxy / direct (latency) */
  loadGeneratorCheck: Record<string, LoadCheck>
}

export interface LoadCheck {
  ratio: number
  bestProxy: string
  bestProxyCpuPercent: number | undefined
  loadCpuPercent: number | undefined
  verdict: string
}

/** A ratio this far above 1 means the load side had clear headroom over the best proxy. */
const HEADROOM = 1.5
/** A proxy this busy was working at its own limit, whatever the load side did. */
const SATURATED_CPU_PERCENT = 90

/** Noise in an input job, or (for a "met") an nginx figure held down by something else. */
function targetDoubt(metric: Metric, met: boolean, wedge: PeerResult | undefined, nginx: PeerResult | undefined): string | undefined {
  if (metric.job === 'memory') return undefined
  const ours = wedge?.[metric.job]
  const theirs = nginx?.[metric.job]
  const noisy = [ours, theirs].some((job) => job !== undefined && job.otherCpuPercent > NOISE_LIMIT_PERCENT)
  if (noisy) return 'other processes disturbed a job'
  const capacity = metric.job !== 'latency'
  if (met && capacity && theirs?.proxyCpuPercent !== undefined && theirs.proxyCpuPercent < SATURATED_CPU_PERCENT) {
    return 'nginx did not saturate its core, so its figure is a lower bound'
  }
  return undefined
}

function loadCheck(metric: Metric, ratio: number, best: PeerResult): LoadCheck {
  const measured = metric.job === 'memory' ? undefined : best[metric.job]
  const proxyCpu = measured?.proxyCpuPercent
  const loadCpu = measured?.loadCpuPercent
  let verdict: string
  const headroom = ratio >= HEADROOM ? 'load side well ahead' : 'load side close'
  if (metric.job === 'latency') verdict = 'fixed offered load: compares delay added, not capacity'
  else if (proxyCpu !== undefined && proxyCpu >= SATURATED_CPU_PERCENT) verdict = `${headroom}; ${best.name} saturated its core: its own limit`
  else if (loadCpu !== undefined && loadCpu >= SATURATED_CPU_PERCENT) verdict = `LOAD SIDE LIMITED: ${best.name}'s figure is a lower bound`
  else verdict = `${headroom}, but neither side saturated (noise or scheduling): figures are lower bounds`
  return { ratio, bestProxy: best.name, bestProxyCpuPercent: proxyCpu, loadCpuPercent: loadCpu, verdict }
}

export function computeRatios(peers: PeerResult[]): Ratios {
  const byName = new Map(peers.map((peer) => [peer.name, peer]))
  const ratios: Ratios = { vsDirect: {}, wedgeVsPeers: {}, targets: {}, loadGeneratorCheck: {} }
  const direct = byName.get('direct')
  const proxies = peers.filter((peer) => peer.name !== 'direct' && peer.skipped === undefined)
  for (const metric of METRICS) {
    const base = direct ? metric.value(direct) : undefined
    const vsDirect: Record<string, number> = {}
    for (const proxy of proxies) {
      const value = metric.value(proxy)
      if (value !== undefined && base !== undefined && base > 0) vsDirect[proxy.name] = value / base
    }
    ratios.vsDirect[metric.key] = vsDirect
    const ranked = proxies
      .map((proxy) => ({ proxy, value: metric.value(proxy) }))
      .filter((entry): entry is { proxy: PeerResult, value: number } => entry.value !== undefined && entry.value > 0)
      .sort((a, b) => metric.better === 'higher' ? b.value - a.value : a.value - b.value)
    const best = ranked[0]
    if (base !== undefined && base > 0 && best !== undefined && metric.job !== 'memory') {
      const ratio = metric.better === 'higher' ? base / best.value : best.value / base
      ratios.loadGeneratorCheck[metric.key] = loadCheck(metric, ratio, best.proxy)
    }
    const pairs: Record<string, number> = {}
    for (const ours of ['wedge', 'wedge-noscan']) {
      for (const theirs of ['nginx', 'haproxy']) {
        const a = byName.get(ours)
        const b = byName.get(theirs)
        const av = a ? metric.value(a) : undefined
        const bv = b ? metric.value(b) : undefined
        if (av !== undefined && bv !== undefined && bv > 0) pairs[`${ours}/${theirs}`] = av / bv
      }
    }
    const metered = byName.get('wedge')
    const unmetered = byName.get('wedge-nometer')
    const mv = metered ? metric.value(metered) : undefined
    const uv = unmetered ? metric.value(unmetered) : undefined
    if (mv !== undefined && uv !== undefined && uv > 0) pairs['wedge/wedge-nometer'] = mv / uv
    ratios.wedgeVsPeers[metric.key] = pairs
    if (Number.isFinite(metric.target)) {
      const ratio = pairs['wedge/nginx']
      const met = ratio === undefined ? undefined : metric.better === 'higher' ? ratio >= metric.target : ratio <= metric.target
      ratios.targets[metric.key] = {
        target: `${metric.better === 'higher' ? '≥' : '≤'} ${metric.target}× nginx`,
        ratio,
        met,
        doubt: met === undefined ? undefined : targetDoubt(metric, met, byName.get('wedge'), byName.get('nginx')),
      }
    }
  }
  return ratios
}

/** Numbers right-aligned; the columns in `left` (default: the first) left-aligned. */
function table(rows: string[][], left: readonly number[] = [0]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)))
  return rows.map((row) => row.map((cell, column) => left.includes(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)).join('  ').trimEnd()).join('\n')
}

const ratio = (value: number | undefined): string => value === undefined ? '-' : `${value.toFixed(2)}×`

export function formatReport(report: BenchReport, ratios: Ratios): string {
  const peers = report.peers.filter((peer) => peer.skipped === undefined)
  const lines: string[] = []
  lines.push(table([
    ['metric', ...peers.map((peer) => peer.name)],
    ...METRICS.map((metric) => [metric.label, ...peers.map((peer) => {
      const value = metric.value(peer)
      return value === undefined ? '-' : metric.format(value)
    })]),
    ...CPU_ROWS.map(([label, pick]) => [label, ...peers.map((peer) => {
      const value = pick(peer)
      return value === undefined ? '-' : value.toFixed(0)
    })]),
  ]))
  const proxies = peers.filter((peer) => peer.name !== 'direct')
  lines.push('', 'Each proxy vs direct (proxy / direct; latency: higher = slower):')
  lines.push(table([
    ['metric', ...proxies.map((peer) => peer.name)],
    ...METRICS.filter((metric) => metric.key !== 'memory').map((metric) => [metric.label, ...proxies.map((peer) => ratio(ratios.vsDirect[metric.key]?.[peer.name]))]),
  ]))
  const pairNames = ['wedge/nginx', 'wedge/haproxy', 'wedge-noscan/nginx', 'wedge-noscan/haproxy', 'wedge/wedge-nometer']
  lines.push('', 'Wedge vs peers (target is for wedge/nginx):')
  lines.push(table([
    ['metric', 'target', ...pairNames, 'met'],
    ...METRICS.map((metric) => {
      const verdict = ratios.targets[metric.key]
      return [
        metric.label, verdict?.target ?? '-',
        ...pairNames.map((pair) => ratio(ratios.wedgeVsPeers[metric.key]?.[pair])),
        verdict?.met === undefined ? '-' : `${verdict.met ? 'yes' : 'NO'}${verdict.doubt ? '?' : ''}`,
      ]
    }),
  ]))
  const doubts = Object.entries(ratios.targets).filter(([, verdict]) => verdict.doubt !== undefined)
  for (const [key, verdict] of doubts) lines.push(`  ? ${METRICS.find((metric) => metric.key === key)?.label}: ${verdict.doubt}; re-run`)
  lines.push('', `Load-generator check: direct / best proxy (latency: best proxy / direct), want ≥ ${HEADROOM}× or a saturated proxy:`)
  const percent = (value: number | undefined): string => value === undefined ? '-' : `${value.toFixed(0)}%`
  lines.push(table([
    ['metric', 'direct/best', 'best proxy', 'its CPU', 'load core', 'verdict'],
    ...METRICS.flatMap((metric) => {
      const check = ratios.loadGeneratorCheck[metric.key]
      return check === undefined ? [] : [[metric.label, ratio(check.ratio), check.bestProxy, percent(check.bestProxyCpuPercent), percent(check.loadCpuPercent), check.verdict]]
    }),
  ], [0, 5]))
  for (const peer of report.peers) {
    if (peer.skipped !== undefined) lines.push(`skipped ${peer.name}: ${peer.skipped}`)
    for (const error of peer.errors) lines.push(`error ${peer.name}: ${error}`)
  }
  return lines.join('\n')
}

export function writeJson(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`)
}
