import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitForQuiet } from '../proxy/jobs.js'
import { DEFAULT_NICE, installCleanup, killAllChildren } from '../proxy/processes.js'
import { echoObject, echoWorker, fanoutApp } from './app-sources.js'
import { measureIdleMemory } from './idle-memory.js'
import { buildNative, NOISE_LIMIT_PERCENT, runQuietLoad, type NativeBinaries, type RetryBudget } from './load-jobs.js'
import { computeTargets, formatCeiling, formatEcho, formatErrors, formatFanout, formatMemory, formatTargets, type AppsReport, type EchoResult, type LatencyResult, type SaturateResult, type ServerResult } from './report.js'
import { LOAD_CORE, SERVER_CORE, nativeEchoServer, wedgeServer, workerdServer, wsServer, type RunningServer, type ServerSpec } from './servers.js'

/**
 * `npm run bench:apps`: origin-less apps side by side with workerd and hand-written `ws`
 * servers, in one run. Each server alone on core 1 (a Wedge edge and its runner share it),
 * the native load side alone on core 0. Three workloads:
 *
 * - echo: 16 connections × 32 messages in flight, 64-byte messages; msg/s and server CPU µs/msg.
 * - fan-out: one publisher, 1,000 subscribers in one room; deliveries/s at saturation and
 *   publish-to-receive latency at 50 publishes/s (50,000 deliveries/s).
 * - memory: bytes per idle socket with 5,000 sockets in one room whose object was evicted.
 *
 * Prints the tables and writes bench/results/apps-<date>.json.
 * Env: BENCH_QUICK=1, BENCH_ONLY=echo,fanout,memory, BENCH_SERVERS=a,b (see docs/benchmarks.md).
 */

const quick = process.env.BENCH_QUICK === '1'
const warmupMs = quick ? 500 : 1000
const durationMs = quick ? 1500 : 4000
const echoParams = { connections: 16, window: 32, messageBytes: 64, warmupMs, durationMs, path: '/' }
/** One room: the broadcast example keys rooms by path, so publisher and subscribers share one. */
const ROOM_PATH = '/bench-room'
const saturateParams = { subscribers: 1000, window: 8, messageBytes: 64, warmupMs, durationMs, subPath: ROOM_PATH, pubPath: ROOM_PATH }
const latencyParams = { subscribers: 1000, rate: 50, messageBytes: 64, warmupMs, durationMs, subPath: ROOM_PATH, pubPath: ROOM_PATH }
const fanoutChoice = fanoutApp()
const IDLE_SOCKETS = quick ? 2000 : 5000
/** Before each server, how long to wait for a quiet second on a shared machine. */
const QUIET_WAIT_MS = quick ? 2000 : 4000
const retries: RetryBudget = { left: Number(process.env.BENCH_RETRIES ?? 6), deadline: Date.now() + (quick ? 60_000 : 200_000) }

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim())
const wanted = process.env.BENCH_SERVERS?.split(',').map((name) => name.trim())

function log(line: string): void {
  process.stderr.write(`[bench:apps] ${line}\n`)
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Starts a server, runs `work` against it, stops it; failures are recorded, never thrown. */
async function withServer(spec: ServerSpec, workDir: string, work: (server: RunningServer, result: ServerResult) => Promise<void>): Promise<ServerResult> {
  const result: ServerResult = { name: spec.name, errors: [] }
  const skip = spec.unavailable?.()
  if (skip !== undefined) {
    result.skipped = skip
    return result
  }
  const noise = await waitForQuiet(QUIET_WAIT_MS, new Set())
  if (noise > NOISE_LIMIT_PERCENT) log(`${spec.name}: machine busy (other processes ${noise.toFixed(0)}% of a core); going ahead`)
  let server: RunningServer | undefined
  try {
    server = await spec.start(workDir)
    await work(server, result)
  } catch (error) {
    result.errors.push(message(error))
  } finally {
    await server?.stop()
  }
  return result
}

async function attempt(result: ServerResult, label: string, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    result.errors.push(`${label}: ${message(error)}`)
  }
}

function selected(specs: ServerSpec[]): ServerSpec[] {
  return specs.filter((spec) => wanted === undefined || wanted.includes(spec.name))
}

async function benchEcho(native: NativeBinaries, workDir: string): Promise<ServerResult[]> {
  const specs = selected([
    nativeEchoServer('c-echo', () => native.origin),
    wsServer('ws', 'echo'),
    wedgeServer('wedge-worker', echoWorker),
    wedgeServer('wedge-object', echoObject(0)),
    wedgeServer('wedge-object-1', echoObject(1)),
    workerdServer('workerd-worker', echoWorker),
    workerdServer('workerd-object', echoObject(0)),
    workerdServer('workerd-object-1', echoObject(1)),
  ])
  const results: ServerResult[] = []
  for (const spec of specs) {
    const result = await withServer(spec, workDir, async (server, r) => {
      await attempt(r, 'echo', async () => {
        r.echo = await runQuietLoad<EchoResult>(native.appload, 'echo', echoParams, server, warmupMs + durationMs, retries)
      })
    })
    log(`echo ${spec.name}: ${result.echo ? `${Math.round(result.echo.result.messagesPerSecond)} msg/s, ${(1e6 * result.echo.serverCpuSeconds / Math.max(1, result.echo.result.messages)).toFixed(2)} µs/msg` : result.skipped ?? result.errors.join('; ')}`)
    results.push(result)
  }
  return results
}

async function benchFanout(native: NativeBinaries, workDir: string): Promise<ServerResult[]> {
  const specs = selected([wsServer('ws-broadcast', 'broadcast'), wedgeServer('wedge-room', fanoutChoice.app), workerdServer('workerd-room', fanoutChoice.app)])
  const results: ServerResult[] = []
  for (const spec of specs) {
    const result = await withServer(spec, workDir, async (server, r) => {
      await attempt(r, 'saturate', async () => {
        r.saturate = await runQuietLoad<SaturateResult>(native.appload, 'saturate', saturateParams, server, warmupMs + durationMs, retries)
      })
      await attempt(r, 'latency', async () => {
        r.latency = await runQuietLoad<LatencyResult>(native.appload, 'latency', latencyParams, server, warmupMs + durationMs + 2000, retries)
      })
    })
    log(`fan-out ${spec.name}: ${result.saturate ? `${Math.round(result.saturate.result.deliveriesPerSecond)} deliveries/s` : '-'}, p99 ${result.latency?.result.latencyMs.p99.toFixed(2) ?? '-'} ms${result.errors.length ? ` [${result.errors.join('; ')}]` : ''}`)
    results.push(result)
  }
  return results
}

async function benchMemory(native: NativeBinaries, workDir: string): Promise<ServerResult[]> {
  const specs = selected([wedgeServer('wedge-room', fanoutChoice.app, '1s'), wsServer('ws-broadcast', 'broadcast'), workerdServer('workerd-room', fanoutChoice.app)])
  const results: ServerResult[] = []
  for (const spec of specs) {
    const result = await withServer(spec, workDir, async (server, r) => {
      await attempt(r, 'memory', async () => {
        r.memory = await measureIdleMemory(server, IDLE_SOCKETS, native.appload, spec.name.startsWith('wedge'), ROOM_PATH)
      })
    })
    log(`memory ${spec.name}: ${result.memory ? `${Math.round(result.memory.first.bytesPerSocket)} B/socket first fill, ${Math.round(result.memory.refill.bytesPerSocket)} refill (${result.memory.refill.sockets} sockets)` : result.skipped ?? result.errors.join('; ')}`)
    results.push(result)
  }
  return results
}

async function main(): Promise<void> {
  installCleanup()
  const workDir = mkdtempSync(join(tmpdir(), 'wedge-bench-apps-'))
  const started = Date.now()
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  let report: AppsReport
  try {
    const native = buildNative(join(workDir, 'native'))
    if (typeof native === 'string') throw new Error(`the native load side is needed: ${native}`)
    const run = (name: string): boolean => only === undefined || only.includes(name)
    const echo = run('echo') ? await benchEcho(native, workDir) : []
    const fanout = run('fanout') ? await benchFanout(native, workDir) : []
    const memory = run('memory') ? await benchMemory(native, workDir) : []
    report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, kernel: release(), memoryBytes: totalmem(), node: process.version },
      settings: {
        layout: `server pinned to core ${SERVER_CORE} (Wedge: edge + runner); native load side on core ${LOAD_CORE}; nice ${DEFAULT_NICE}`,
        echo: echoParams, fanoutApp: fanoutChoice.source, saturate: saturateParams, latency: latencyParams, idleSockets: IDLE_SOCKETS, quick,
        loadAverageAtStart: loadAverage, retriesLeft: retries.left, runSeconds: Math.round((Date.now() - started) / 1000),
      },
      echo, fanout, memory,
      targets: computeTargets(echo, fanout, memory),
    }
  } finally {
    killAllChildren()
    if (process.env.BENCH_KEEP !== '1') rmSync(workDir, { recursive: true, force: true })
  }
  const dir = join(repoRoot, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `apps-${report.date.slice(0, 10)}${quick ? '-quick' : ''}.json`)
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`)
  const out: string[] = [
    `Wedge origin-less apps benchmark ${report.date} (${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, Node ${process.version})`,
    String(report.settings.layout), '',
  ]
  if (report.echo.length) out.push('Echo: 16 connections × 32 in flight, 64-byte messages', formatEcho(report.echo), formatCeiling(report.echo), '')
  if (report.fanout.length) out.push(`Fan-out (${fanoutChoice.source}): 1 publisher → 1,000 subscribers in one room; latency at 50 publishes/s (50,000 deliveries/s)`, formatFanout(report.fanout), '')
  if (report.memory.length) out.push(`Memory: ${IDLE_SOCKETS.toLocaleString('en-US')} idle sockets in one room (Wedge: object evicted)`, formatMemory(report.memory), '')
  out.push('Targets', formatTargets(report.targets))
  const errors = formatErrors([report.echo, report.fanout, report.memory])
  if (errors) out.push('', errors)
  out.push('', `JSON: ${path}  (${report.settings.runSeconds} s)`)
  process.stdout.write(`\n${out.join('\n')}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:apps] failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  killAllChildren()
  process.exitCode = 1
})
