import type { Fill, IdleMemoryResult } from './idle-memory.js'
import type { Measured } from './load-jobs.js'

/** Results of `npm run bench:apps` and the printed tables with ratios and target verdicts. */

export interface EchoResult {
  connections: number
  failedConnections: number
  messages: number
  elapsedMs: number
  messagesPerSecond: number
  droppedConnections: number
}

export interface SaturateResult {
  subscribers: number
  deliveries: number
  deliveriesPerSecond: number
  publishesPerSecond: number
  stalls: number
  droppedSubscribers: number
}

export interface LatencyResult {
  subscribers: number
  rate: number
  expected: number
  deliveries: number
  missing: number
  deliveriesPerSecond: number
  latencyMs: { p50: number, p90: number, p99: number, p999: number, max: number, mean: number }
  droppedSubscribers: number
}

export interface ServerResult {
  name: string
  skipped?: string
  errors: string[]
  echo?: Measured<EchoResult>
  saturate?: Measured<SaturateResult>
  latency?: Measured<LatencyResult>
  memory?: IdleMemoryResult
}

export interface AppsReport {
  date: string
  machine: Record<string, unknown>
  settings: Record<string, unknown>
  echo: ServerResult[]
  fanout: ServerResult[]
  memory: ServerResult[]
  targets: Target[]
}

export interface Target {
  what: string
  want: string
  value: number | undefined
  met: boolean | undefined
}

/** Numbers right-aligned; the first column left-aligned. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)))
  return rows.map((row) => row.map((cell, column) => column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)).join('  ').trimEnd()).join('\n')
}

const integer = (value: number | undefined): string => value === undefined || !Number.isFinite(value) ? '-' : Math.round(value).toLocaleString('en-US')
const fixed = (digits: number) => (value: number | undefined): string => value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)
const ratio = (a: number | undefined, b: number | undefined): string => a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}×`

export const echoRate = (r: ServerResult): number | undefined => r.echo?.result.messagesPerSecond
export const echoCpu = (r: ServerResult): number | undefined => r.echo && r.echo.result.messages > 0 ? 1e6 * r.echo.serverCpuSeconds / r.echo.result.messages : undefined
export const fanRate = (r: ServerResult): number | undefined => r.saturate?.result.deliveriesPerSecond
export const fanCpu = (r: ServerResult): number | undefined => r.saturate && r.saturate.result.deliveries > 0 ? 1e6 * r.saturate.serverCpuSeconds / r.saturate.result.deliveries : undefined

function byName(results: ServerResult[], name: string): ServerResult | undefined {
  return results.find((result) => result.name === name)
}

export function formatEcho(results: ServerResult[]): string {
  const workerdObject = echoRate(byName(results, 'workerd-object') ?? { name: '', errors: [] })
  const workerdWorker = echoRate(byName(results, 'workerd-worker') ?? { name: '', errors: [] })
  const ws = echoRate(byName(results, 'ws') ?? { name: '', errors: [] })
  const rows = [['server', 'msg/s', 'server CPU µs/msg', 'server CPU %', 'load CPU %', 'noise %', 'vs workerd DO', 'vs workerd Worker', 'vs ws']]
  for (const r of results.filter((result) => result.echo)) {
    rows.push([r.name, integer(echoRate(r)), fixed(2)(echoCpu(r)), fixed(0)(r.echo!.serverCpuPercent), fixed(0)(r.echo!.loadCpuPercent), fixed(0)(r.echo!.otherCpuPercent),
      ratio(echoRate(r), workerdObject), ratio(echoRate(r), workerdWorker), ratio(echoRate(r), ws)])
  }
  return table(rows)
}

export function formatFanout(results: ServerResult[]): string {
  const ws = fanRate(byName(results, 'ws-broadcast') ?? { name: '', errors: [] })
  const workerd = fanRate(byName(results, 'workerd-room') ?? { name: '', errors: [] })
  const rows = [['server', 'deliveries/s', 'server CPU µs/delivery', 'server CPU %', 'load CPU %', 'noise %', 'p50 ms', 'p99 ms', 'max ms', 'missing', 'latency noise %', 'vs ws', 'vs workerd']]
  for (const r of results.filter((result) => result.saturate || result.latency)) {
    const latency = r.latency?.result
    rows.push([r.name, integer(fanRate(r)), fixed(2)(fanCpu(r)), fixed(0)(r.saturate?.serverCpuPercent), fixed(0)(r.saturate?.loadCpuPercent), fixed(0)(r.saturate?.otherCpuPercent),
      fixed(3)(latency?.latencyMs.p50), fixed(3)(latency?.latencyMs.p99), fixed(3)(latency?.latencyMs.max), integer(latency?.missing), fixed(0)(r.latency?.otherCpuPercent),
      ratio(fanRate(r), ws), ratio(fanRate(r), workerd)])
  }
  return table(rows)
}

export function formatMemory(results: ServerResult[]): string {
  const rows = [['server', 'fill', 'sockets', 'RSS before MiB', 'RSS after MiB', 'bytes/socket', 'per process (bytes/socket)', 'object evicted']]
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
  const sum = (list: Fill['before']): number => list.reduce((total, process) => total + process.rssBytes, 0)
  for (const r of results.filter((result) => result.memory)) {
    for (const [label, m] of [['first', r.memory!.first], ['refill', r.memory!.refill]] as const) {
      rows.push([label === 'first' ? r.name : '', label, integer(m.sockets), mib(sum(m.before)), mib(sum(m.after)), integer(m.bytesPerSocket),
        m.perProcess.filter((process) => Math.abs(process.bytesPerSocket) >= 1).map((process) => `${process.name} ${integer(process.bytesPerSocket)}`).join(', '),
        m.evicted === undefined ? 'unknown' : m.evicted ? 'yes' : 'NO'])
    }
  }
  return table(rows)
}

export function computeTargets(echo: ServerResult[], fanout: ServerResult[], memory: ServerResult[]): Target[] {
  const find = (list: ServerResult[], name: string): ServerResult => byName(list, name) ?? { name, errors: [] }
  const echoRatio = (() => {
    const ours = echoRate(find(echo, 'wedge-object'))
    const theirs = echoRate(find(echo, 'workerd-object'))
    return ours !== undefined && theirs !== undefined ? ours / theirs : undefined
  })()
  const fanRatio = (() => {
    const ours = fanRate(find(fanout, 'wedge-room'))
    const theirs = fanRate(find(fanout, 'ws-broadcast'))
    return ours !== undefined && theirs !== undefined ? ours / theirs : undefined
  })()
  const bytes = find(memory, 'wedge-room').memory?.refill.bytesPerSocket
  return [
    { what: 'echo: wedge-object / workerd-object msg/s', want: '≥ 1.5×', value: echoRatio, met: echoRatio === undefined ? undefined : echoRatio >= 1.5 },
    { what: 'fan-out: wedge-room / ws-broadcast deliveries/s', want: '≥ 1.0×', value: fanRatio, met: fanRatio === undefined ? undefined : fanRatio >= 1 },
    { what: 'memory: wedge-room bytes per idle hibernated socket (refill)', want: '≤ 4096', value: bytes, met: bytes === undefined ? undefined : bytes <= 4096 },
  ]
}

export function formatTargets(targets: Target[]): string {
  return table([['target', 'want', 'value', 'met'], ...targets.map((t) => [t.what, t.want, t.value === undefined ? '-' : t.value > 100 ? integer(t.value) : `${t.value.toFixed(2)}×`, t.met === undefined ? '-' : t.met ? 'yes' : 'NO'])])
}

/** Is the load side ahead? The ceiling peers' figures against the best app server's. */
export function formatCeiling(echo: ServerResult[]): string {
  const ceiling = echo.filter((r) => r.name === 'c-echo' || r.name === 'ws')
  const apps = echo.filter((r) => r.name !== 'c-echo' && r.name !== 'ws' && r.echo)
  const best = apps.reduce<ServerResult | undefined>((top, r) => (echoRate(r) ?? 0) > (top ? echoRate(top) ?? 0 : 0) ? r : top, undefined)
  if (!best) return ''
  return ceiling.filter((r) => r.echo).map((r) => `${r.name}: ${integer(echoRate(r))} msg/s = ${ratio(echoRate(r), echoRate(best))} the best app server (${best.name}); load core ${fixed(0)(r.echo!.loadCpuPercent)}% busy at that rate`).join('\n')
}

export function formatErrors(groups: ServerResult[][]): string {
  const lines: string[] = []
  for (const results of groups) {
    for (const r of results) {
      if (r.skipped) lines.push(`skipped ${r.name}: ${r.skipped}`)
      for (const error of r.errors) lines.push(`error ${r.name}: ${error}`)
    }
  }
  return lines.join('\n')
}
