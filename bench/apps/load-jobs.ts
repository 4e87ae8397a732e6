import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { groupStats, otherCpuSeconds, sampleProcesses, spawnPinned, stopChild } from '../proxy/processes.js'
import { Lines } from './lines.js'
import { LOAD_CORE, type RunningServer } from './servers.js'

/**
 * Runs the native load side (native/appload.c) against a server and reads, between the
 * load side's "measure" line and its result, the CPU time of the server's process group
 * (utime + stime from /proc of every process in it), of the load side, and of everything
 * else on the machine (noise).
 */

export interface Measured<T> {
  result: T
  /** Server group CPU seconds during the measurement window. */
  serverCpuSeconds: number
  /** Server CPU in % of one core over the window. */
  serverCpuPercent: number
  /** Load side CPU in % of one core over the window. */
  loadCpuPercent: number
  /** Other processes' CPU in % of one core over the window (a lower bound). */
  otherCpuPercent: number
  otherTop: Array<{ name: string, seconds: number }>
  attempts: number
}

export interface NativeBinaries {
  appload: string
  /** The proxy benchmark's C echo origin, used as the ceiling check. */
  origin: string
}

const here = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = join(here, '..', '..', '..')
const JOB_SLACK_MS = 40_000
/** Other processes above this share of a core make a job worth running again. */
export const NOISE_LIMIT_PERCENT = 10

/** Compiles the load side and the proxy benchmark's echo origin; returns why not on failure. */
export function buildNative(outDir: string): NativeBinaries | string {
  mkdirSync(outDir, { recursive: true })
  const compiler = process.env.CC ?? 'cc'
  const builds: Array<[string, string]> = [
    ['appload', join(repoRoot, 'bench', 'apps', 'native', 'appload.c')],
    ['origin', join(repoRoot, 'bench', 'proxy', 'native', 'origin.c')],
  ]
  for (const [name, source] of builds) {
    const built = spawnSync(compiler, ['-O2', '-o', join(outDir, name), source], { encoding: 'utf8' })
    if (built.error !== undefined) return `${compiler} not runnable (${built.error.message})`
    if (built.status !== 0) return `${compiler} failed on ${source}: ${built.stderr.trim().split('\n').slice(0, 3).join(' | ')}`
  }
  return { appload: join(outDir, 'appload'), origin: join(outDir, 'origin') }
}

export type LoadParams = Record<string, string | number>

/** One run of `appload mode params` against `server`. */
export async function runLoad<T>(appload: string, mode: string, params: LoadParams, server: RunningServer, expectedMs: number): Promise<Measured<T>> {
  const args = [mode, 'host=127.0.0.1', `port=${server.port}`, ...Object.entries(params).map(([key, value]) => `${key}=${value}`)]
  const child = spawnPinned(`appload ${mode}`, appload, args, { core: LOAD_CORE })
  const lines = new Lines(child)
  try {
    await lines.next((line) => line.phase === 'measure' ? true : undefined, expectedMs + JOB_SLACK_MS)
    const serverBefore = groupStats(server.child.pgid).cpuSeconds
    const loadBefore = groupStats(child.pgid).cpuSeconds
    const othersBefore = sampleProcesses()
    const started = performance.now()
    const line = await lines.next((line) => line.result === undefined ? undefined : line, expectedMs + JOB_SLACK_MS)
    const seconds = (performance.now() - started) / 1000
    const serverCpu = groupStats(server.child.pgid).cpuSeconds - serverBefore
    const others = otherCpuSeconds(othersBefore, sampleProcesses(), new Set([server.child.pgid, child.pgid]))
    const loadCpu = (typeof line.cpuSeconds === 'number' ? line.cpuSeconds : loadBefore) - loadBefore
    return {
      result: line.result as T,
      serverCpuSeconds: serverCpu,
      serverCpuPercent: 100 * serverCpu / seconds,
      loadCpuPercent: 100 * loadCpu / seconds,
      otherCpuPercent: 100 * others.total / seconds,
      otherTop: others.top,
      attempts: 1,
    }
  } finally {
    await stopChild(child, 500)
  }
}

/** Re-runs shared by the whole benchmark, so a busy machine cannot stretch a run for long. */
export interface RetryBudget {
  left: number
  deadline: number
}

/** Runs a job; reruns it (once, within the budget) when other processes were busy, keeping the quieter run. */
export async function runQuietLoad<T>(appload: string, mode: string, params: LoadParams, server: RunningServer, expectedMs: number, budget: RetryBudget): Promise<Measured<T>> {
  let best = await runLoad<T>(appload, mode, params, server, expectedMs)
  let attempts = 1
  while (best.otherCpuPercent > NOISE_LIMIT_PERCENT && budget.left > 0 && attempts < 3 && Date.now() < budget.deadline) {
    budget.left--
    attempts++
    const next = await runLoad<T>(appload, mode, params, server, expectedMs)
    if (next.otherCpuPercent < best.otherCpuPercent) best = next
  }
  return { ...best, attempts }
}
