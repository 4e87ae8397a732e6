import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EchoLoopParams, EchoLoopResult } from './echo-loop.js'
import type { HandshakeParams, HandshakeResult } from './handshakes.js'
import type { IdleParams } from './idle.js'
import type { LatencyParams, LatencyResult } from './latency.js'
import { NOISE_LIMIT_PERCENT, measureMemory, runJob, runQuietJob, sleep, waitForQuiet, type RetryBudget } from './jobs.js'
import { ALL_PEERS, LOAD_CORE, NO_SCAN_SWITCH, PROXY_CORE, edgeHonoursNoScan, peerVersions, startOrigin, type Peer, type RunningPeer } from './peers.js'
import { DEFAULT_NICE, fileLimits, installCleanup } from './processes.js'
import { buildNativeLoadSide, nodeLoadSide, type LoadSide } from './load-side.js'
import { computeRatios, formatReport, writeJson, type BenchReport, type PeerResult } from './report.js'

/**
 * `npm run bench:proxy`: the same WebSocket workloads direct, through Wedge (with and without
 * the frame scanner), nginx and HAProxy. Each proxy is pinned to core 1; the origin and the
 * load generator share core 0; every one is a separate process. Prints a table and writes
 * bench/results/proxy-<date>.json.
 *
 * Env: see docs/benchmarks.md (BENCH_QUICK, BENCH_PEERS, BENCH_LOAD, BENCH_NICE, BENCH_RETRIES, BENCH_KEEP).
 */

const quick = process.env.BENCH_QUICK === '1'
const warmupMs = quick ? 300 : 1000
const durationMs = quick ? 1500 : 5000

const roundTrip: EchoLoopParams = { connections: 100, messageBytes: 64, window: 1, warmupMs, durationMs }
const latency: LatencyParams = { connections: 100, rate: 10_000, messageBytes: 64, warmupMs, durationMs }
const throughput: EchoLoopParams = { connections: 8, messageBytes: 64 * 1024, window: 4, warmupMs, durationMs }
const handshakes: HandshakeParams = { workers: 50, warmupMs, durationMs, attemptTimeoutMs: 5000 }
const warmUp: EchoLoopParams = { connections: 200, messageBytes: 64, window: 1, warmupMs: 0, durationMs: 300 }
const IDLE_TARGET = quick ? 2000 : 8000
/** Before each peer, how long to wait for other processes to quieten down. */
const QUIET_WAIT_MS = quick ? 3000 : 10_000
/** Re-runs allowed per benchmark for jobs disturbed by other processes (BENCH_RETRIES). */
const retries: RetryBudget = { left: Number(process.env.BENCH_RETRIES ?? 12), deadline: Date.now() + (quick ? 60_000 : 180_000) }
/** Sockets a proxy needs beyond 2 per connection: listener, logs, event fds, slack. */
const PROXY_FD_SLACK = 200

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))

function idleParams(): { params: IdleParams, note: string | undefined } {
  const { hard } = fileLimits()
  const fit = Math.floor((hard - PROXY_FD_SLACK) / 2)
  const connections = Math.min(IDLE_TARGET, fit)
  const note = connections < IDLE_TARGET ? `open-file hard limit ${hard} allows only ${connections} proxied connections` : undefined
  return { params: { connections, concurrency: 200, openTimeoutMs: 60_000 }, note }
}

async function attempt(result: PeerResult, label: string, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    result.errors.push(`${label}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

async function benchPeer(load: LoadSide, peer: Peer, workDir: string, idle: IdleParams): Promise<PeerResult> {
  const result: PeerResult = { name: peer.name, errors: [] }
  const skip = peer.unavailable()
  if (skip !== undefined) {
    result.skipped = skip
    return result
  }
  const noise = await waitForQuiet(QUIET_WAIT_MS, new Set())
  result.noiseBeforePercent = Math.round(noise)
  if (noise > NOISE_LIMIT_PERCENT) log(`${peer.name}: machine still busy (other processes ${noise.toFixed(0)}% of a core); going ahead`)
  const origin = await startOrigin(load)
  let running: RunningPeer | undefined
  try {
    running = await peer.start(origin.target, workDir)
    const up = running
    const expected = warmupMs + durationMs
    log(`${peer.name}: listening on ${up.target.port}`)
    if (up.child !== undefined) {
      // Memory first, on a fresh proxy, after a short warm-up so lazy start-up allocations
      // are not charged to the idle connections.
      await attempt(result, 'warm-up', async () => { await runJob(load, jobEcho(up, warmUp), 1000, up, origin) })
      await attempt(result, 'memory', async () => { result.memory = await measureMemory(load, up, idle) })
      await sleep(500)
    }
    await attempt(result, 'round-trip', async () => {
      result.roundTrip = await runQuietJob<EchoLoopResult>(load, jobEcho(up, roundTrip), expected, up, origin, retries)
    })
    await attempt(result, 'latency', async () => {
      result.latency = await runQuietJob<LatencyResult>(load, { mode: 'latency', target: up.target, params: latency }, expected + 2000, up, origin, retries)
    })
    await attempt(result, 'throughput', async () => {
      result.throughput = await runQuietJob<EchoLoopResult>(load, jobEcho(up, throughput), expected, up, origin, retries)
    })
    await attempt(result, 'handshakes', async () => {
      result.handshakes = await runQuietJob<HandshakeResult>(load, { mode: 'handshakes', target: up.target, params: handshakes }, expected, up, origin, retries)
    })
  } catch (error) {
    result.errors.push(`start: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    const tail = running?.logTail?.()
    if (tail) result.proxyLog = tail
    await running?.stop()
    await origin.stop()
  }
  return result
}

function chooseLoadSide(workDir: string): LoadSide {
  if (process.env.BENCH_LOAD === 'node') return nodeLoadSide
  const native = buildNativeLoadSide(join(workDir, 'native'))
  if (typeof native !== 'string') return native
  log(`note: native load side unavailable (${native}); using the Node one, which may limit fast proxies`)
  return nodeLoadSide
}

function jobEcho(peer: RunningPeer, params: EchoLoopParams): { mode: 'echo', target: RunningPeer['target'], params: EchoLoopParams } {
  return { mode: 'echo', target: peer.target, params }
}

function log(line: string): void {
  process.stderr.write(`[bench:proxy] ${line}\n`)
}

function summarise(result: PeerResult): string {
  const parts = [
    result.memory && `mem ${Math.round(result.memory.bytesPerConnection)} B/conn (${result.memory.connections} conns)`,
    result.roundTrip && `rt ${Math.round(result.roundTrip.result.messagesPerSecond)} msg/s`,
    result.latency && `p99 ${result.latency.result.fromScheduled.p99.toFixed(3)} ms`,
    result.throughput && `${result.throughput.result.megabytesPerSecond.toFixed(0)} MB/s`,
    result.handshakes && `${Math.round(result.handshakes.result.handshakesPerSecond)} hs/s (${result.handshakes.result.errors} errors)`,
  ]
  return parts.filter(Boolean).join(', ') || (result.skipped ?? 'no results')
}

async function main(): Promise<void> {
  installCleanup()
  const workDir = mkdtempSync(join(tmpdir(), 'wedge-bench-proxy-'))
  const { params: idle, note: idleNote } = idleParams()
  const wanted = process.env.BENCH_PEERS?.split(',').map((name) => name.trim())
  const peers = ALL_PEERS.filter((peer) => wanted === undefined || wanted.includes(peer.name))
  const limits = fileLimits()
  log(`open files: soft ${limits.soft}, hard ${limits.hard} (children get the hard limit); idle connections: ${idle.connections}`)
  if (idleNote) log(idleNote)
  if (!edgeHonoursNoScan()) log(`note: the built edge has no no-scan switch (${NO_SCAN_SWITCH} / createEdge noScan); wedge-noscan is skipped`)
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  const load = chooseLoadSide(workDir)
  log(`load side: ${load.kind}`)
  const started = Date.now()
  const results: PeerResult[] = []
  try {
    for (const peer of peers) {
      log(`${peer.name}: starting`)
      const result = await benchPeer(load, peer, workDir, idle)
      log(`${peer.name}: ${summarise(result)}${result.errors.length ? ` [${result.errors.length} error(s)]` : ''}`)
      results.push(result)
    }
  } finally {
    if (process.env.BENCH_KEEP !== "1") rmSync(workDir, { recursive: true, force: true })
  }
  const date = new Date().toISOString()
  const report: BenchReport = {
    date,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      kernel: release(),
      memoryBytes: totalmem(),
      ...peerVersions(),
    },
    settings: {
      layout: `proxy pinned to core ${PROXY_CORE}; origin and load generator (${load.kind}) on core ${LOAD_CORE}; separate processes at nice ${DEFAULT_NICE}`,
      loadSide: load.kind,
      noiseLimitPercent: NOISE_LIMIT_PERCENT,
      retriesLeft: retries.left,
      nice: DEFAULT_NICE,
      loadAverageAtStart: loadAverage,
      roundTrip, latency, throughput, handshakes, idle, warmUp, quick,
      runSeconds: Math.round((Date.now() - started) / 1000),
    },
    peers: results,
  }
  const ratios = computeRatios(results)
  report.ratios = ratios
  // Quick and partial runs get their own file so they never overwrite a full run's.
  const suffix = `${quick ? '-quick' : ''}${wanted === undefined ? '' : `-${peers.map((peer) => peer.name).join('-')}`}`
  const path = join(repoRoot, 'bench', 'results', `proxy-${date.slice(0, 10)}${suffix}.json`)
  writeJson(path, report)
  process.stdout.write(`\nWedge proxy benchmark ${date} (${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, Node ${process.version})\n`)
  process.stdout.write(`${report.settings.layout}\n\n${formatReport(report, ratios)}\n\nJSON: ${path}\n`)
}

/** `node dist/bench/proxy/run.js --report FILE`: prints the tables of a saved run again. */
function reprint(path: string): void {
  const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReport
  const ratios = computeRatios(report.peers)
  process.stdout.write(`Wedge proxy benchmark ${report.date} (${String(report.machine.cpus)} cores, ${String(report.machine.cpuModel)}, Node ${String(report.machine.node)})\n`)
  process.stdout.write(`${String(report.settings.layout)}\n\n${formatReport(report, ratios)}\n`)
}

const reportIndex = process.argv.indexOf('--report')
if (reportIndex !== -1) reprint(process.argv[reportIndex + 1] ?? '')
else main().catch((error: unknown) => {
  process.stderr.write(`[bench:proxy] failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
})
