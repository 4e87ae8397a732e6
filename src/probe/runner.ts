import type { WebSocket } from 'ws'
import { CHECK_IDS, CHECKS, DEFAULT_REQUIRED } from './checks/index.js'
import { errorText, type CheckDefinition } from './checks/check.js'
import { makeConnector } from './connection.js'
import type { CheckOutcome, CheckResult, ProbeOptions, ProbeResult, ResolvedProbeOptions } from './types.js'

/** A bad URL, an unknown check name or an impossible option (the CLI exits 2). */
export class ProbeUsageError extends Error {}

const DEFAULTS = {
  budgetMs: 10 * 60_000,
  maxSize: 16 * 1024 ** 2,
  concurrency: 100,
  minIdleMs: 30_000,
  checkTimeoutMs: 60_000,
} as const

function parseTarget(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ProbeUsageError(`not a URL: ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new ProbeUsageError(`expected a ws:// or wss:// URL, got ${JSON.stringify(url)}`)
  return parsed
}

function unknownIds(ids: string[], flag: string): void {
  const unknown = ids.filter((id) => !CHECK_IDS.includes(id))
  if (unknown.length) throw new ProbeUsageError(`${flag}: unknown check ${unknown.join(', ')} (checks: ${CHECK_IDS.join(', ')})`)
}

/** Resolves defaults and the selected checks; throws ProbeUsageError on a bad option. */
export function resolveSelection(options: ProbeOptions): { resolved: ResolvedProbeOptions; selected: CheckDefinition[] } {
  for (const [flag, ids] of [['--only', options.only], ['--skip', options.skip], ['--required', options.required]] as const) unknownIds(ids ?? [], flag)
  const selected = CHECKS.filter((check) => (!options.only?.length || options.only.includes(check.id)) && !options.skip?.includes(check.id))
  if (selected.length === 0) throw new ProbeUsageError('no checks selected')
  const missing = (options.required ?? []).filter((id) => !selected.some((check) => check.id === id))
  if (missing.length) throw new ProbeUsageError(`--required ${missing.join(', ')}: not among the selected checks`)
  const required = options.required ?? DEFAULT_REQUIRED.filter((id) => selected.some((check) => check.id === id))
  const resolved: ResolvedProbeOptions = {
    budgetMs: options.budgetMs ?? DEFAULTS.budgetMs,
    maxSize: options.maxSize ?? DEFAULTS.maxSize,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    minIdleMs: options.minIdleMs ?? DEFAULTS.minIdleMs,
    checkTimeoutMs: options.checkTimeoutMs ?? DEFAULTS.checkTimeoutMs,
    required: [...required],
    headers: options.headers ?? {},
    insecure: options.insecure ?? false,
  }
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) throw new ProbeUsageError(`${name} must be a non-negative number`)
  }
  if (resolved.concurrency < 1) throw new ProbeUsageError('concurrency must be at least 1')
  return { resolved, selected }
}

interface RunContext {
  url: URL
  options: ResolvedProbeOptions
  runStartedAt: number
  emit: NonNullable<ProbeOptions['onProgress']>
}

/** Runs one check with its own sockets, all closed when it ends, and its own time limit. */
async function runCheck(check: CheckDefinition, run: RunContext, skipReason?: string): Promise<CheckResult> {
  const started = performance.now()
  const base = { id: check.id, title: check.title, required: run.options.required.includes(check.id) }
  if (skipReason) return { ...base, status: 'fail', summary: 'not run', evidence: skipReason, durationMs: 0 }
  const sockets = new Set<WebSocket>()
  const controller = new AbortController()
  const limitMs = check.background ? run.options.budgetMs + 60_000 : run.options.checkTimeoutMs
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort()
      resolve({ status: 'fail', summary: 'timed out', evidence: `did not finish within ${Math.round(limitMs / 1000)} s` })
    }, limitMs)
  })
  const connect = makeConnector(run.url, { headers: run.options.headers, insecure: run.options.insecure, timeoutMs: 15_000 }, (ws) => sockets.add(ws))
  const context = {
    url: run.url, options: run.options, connect, runStartedAt: run.runStartedAt, signal: controller.signal,
    progress: (text: string) => run.emit({ type: 'progress', id: check.id, text }),
  }
  let outcome: CheckOutcome
  try {
    outcome = await Promise.race([check.run(context), timedOut])
  } catch (error) {
    outcome = { status: 'fail', summary: 'error', evidence: `check crashed: ${errorText(error)}` }
  } finally {
    clearTimeout(timer)
    for (const ws of sockets) ws.terminate()
  }
  return { ...base, ...outcome, durationMs: Math.round(performance.now() - started) }
}

/**
 * Runs the battery against `url` (a probe-origin, usually behind the proxy or CDN under test).
 * Sequential checks run one at a time so they do not skew each other's timings; background
 * checks (the idle search) run alongside for up to the budget. Throws ProbeUsageError on bad options.
 */
export async function runProbe(url: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const target = parseTarget(url)
  const { resolved, selected } = resolveSelection(options)
  const startedAt = new Date()
  const run: RunContext = { url: target, options: resolved, runStartedAt: performance.now(), emit: options.onProgress ?? (() => {}) }
  const results = new Map<string, CheckResult>()
  let done = 0
  const track = async (check: CheckDefinition, skip?: string): Promise<void> => {
    run.emit({ type: 'start', id: check.id, title: check.title, index: done, total: selected.length })
    const result = await runCheck(check, run, skip)
    results.set(check.id, result)
    run.emit({ type: 'end', result, index: ++done, total: selected.length })
  }
  const background = selected.filter((check) => check.background).map((check) => track(check))
  let skip: string | undefined
  for (const check of selected.filter((item) => !item.background)) {
    await track(check, skip)
    if (check.id === 'handshake' && results.get('handshake')?.status === 'fail') skip = 'not run: the handshake failed'
  }
  await Promise.all(background)
  const checks = selected.map((check) => results.get(check.id)!)
  return {
    format: 'wedge-probe/1',
    url: target.href,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - run.runStartedAt),
    options: { budgetMs: resolved.budgetMs, maxSize: resolved.maxSize, concurrency: resolved.concurrency, minIdleMs: resolved.minIdleMs, required: resolved.required },
    checks,
    ok: checks.every((check) => !check.required || check.status !== 'fail'),
  }
}
