import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'

/**
 * Child processes for the benchmark: each runs in its own process group (so nginx's workers
 * die with their master), pinned to a core with taskset, with its soft file limit raised to
 * the hard limit. Every group is SIGKILLed when the orchestrator exits, however it exits.
 */

export interface SpawnOptions {
  core: number
  env?: NodeJS.ProcessEnv
  /** Niceness; defaults to BENCH_NICE (see DEFAULT_NICE). */
  nice?: number
}

/**
 * Benchmark processes run at nice -10 by default (BENCH_NICE overrides; 0 = off): the 2-core
 * machine is shared, and an unrelated compile landing on the proxy's core would otherwise
 * decide the result. Without root, `nice` warns and runs the command at normal priority.
 */
export const DEFAULT_NICE = Number(process.env.BENCH_NICE ?? -10)

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** Process group id (= pid of the pinned command). */
  readonly pgid: number
  /** The tail of its stderr, for error messages. */
  stderrTail(): string
}

const live = new Set<Child>()
const STDERR_TAIL_BYTES = 4096

export function spawnPinned(name: string, command: string, args: string[], options: SpawnOptions): Child {
  const prefix = ['taskset', '-c', String(options.core)]
  const nice = options.nice ?? DEFAULT_NICE
  if (nice !== 0) prefix.push('nice', '-n', String(nice))
  // bash raises the soft fd limit, then execs: the pid we get is the pinned command's pid.
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'pinned', ...prefix, command, ...args], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  })
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_BYTES)
  })
  child.stdin!.on('error', () => {})
  const handle: Child = { name, process: child, pgid: child.pid, stderrTail: () => stderr.trim() }
  live.add(handle)
  child.once('exit', () => live.delete(handle))
  return handle
}

/** SIGTERM the group, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 2000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) {
    killGroup(child.pgid, 'SIGKILL')
    return
  }
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()))
  killGroup(child.pgid, 'SIGTERM')
  const timer = setTimeout(() => killGroup(child.pgid, 'SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
  killGroup(child.pgid, 'SIGKILL') // stragglers such as nginx workers
  live.delete(child)
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

export function killAllChildren(): void {
  for (const child of live) killGroup(child.pgid, 'SIGKILL')
  live.clear()
}

let cleanupInstalled = false
export function installCleanup(): void {
  if (cleanupInstalled) return
  cleanupInstalled = true
  process.on('exit', killAllChildren)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAllChildren()
      process.exit(130)
    })
  }
}

/** Resolves with the first stdout JSON line for which `pick` returns a value. */
export function waitForLine<T>(child: Child, pick: (line: Record<string, unknown>) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const fail = (why: string): void => {
      cleanup()
      reject(new Error(`${child.name}: ${why}${child.stderrTail() ? `\n${child.stderrTail()}` : ''}`))
    }
    const onData = (text: string): void => {
      buffered += text
      let newline: number
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        let parsed: Record<string, unknown>
        try {
          parsed = JSON.parse(line) as Record<string, unknown>
        } catch {
          continue
        }
        if (typeof parsed.error === 'string') return fail(parsed.error)
        const value = pick(parsed)
        if (value !== undefined) {
          cleanup()
          return resolve(value)
        }
      }
    }
    const onExit = (): void => fail(`exited (code ${child.process.exitCode}, signal ${child.process.signalCode})`)
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs)
    const cleanup = (): void => {
      clearTimeout(timer)
      child.process.stdout!.off('data', onData)
      child.process.off('exit', onExit)
    }
    child.process.stdout!.setEncoding('utf8').on('data', onData)
    child.process.once('exit', onExit)
  })
}

export interface GroupStats {
  processes: number
  rssBytes: number
  /** User + system CPU seconds of every process in the group. */
  cpuSeconds: number
}

/** USER_HZ: Linux reports /proc times in 1/100 s on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100

/** RSS (VmRSS) and CPU time summed over every process whose process group is `pgid`. */
export function groupStats(pgid: number): GroupStats {
  const stats: GroupStats = { processes: 0, rssBytes: 0, cpuSeconds: 0 }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      const rssKib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0)
      stats.processes++
      stats.rssBytes += rssKib * 1024
      stats.cpuSeconds += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
    } catch {
      // the process ended while we read it
    }
  }
  return stats
}

interface ProcessSample {
  name: string
  pgid: number
  startTime: string
  cpuSeconds: number
}

const PF_KTHREAD = 0x00200000

/** CPU time of every user-space process now running (kernel threads left out). */
export function sampleProcesses(): Map<number, ProcessSample> {
  const samples = new Map<number, ProcessSample>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if ((Number(fields[6]) & PF_KTHREAD) !== 0) continue
      samples.set(Number(entry), {
        name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        pgid: Number(fields[2]),
        startTime: fields[19]!,
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
      })
    } catch {
      // gone
    }
  }
  return samples
}

/**
 * CPU seconds other processes used between two samples: everything outside `ourGroups` and
 * this process. Processes that started and ended between the samples are missed, so this is
 * a lower bound of the noise.
 */
export function otherCpuSeconds(
  before: Map<number, ProcessSample>, after: Map<number, ProcessSample>, ourGroups: Set<number>,
): { total: number, top: Array<{ name: string, seconds: number }> } {
  let total = 0
  const byName = new Map<string, number>()
  for (const [pid, sample] of after) {
    if (pid === process.pid || ourGroups.has(sample.pgid)) continue
    const earlier = before.get(pid)
    const used = earlier !== undefined && earlier.startTime === sample.startTime ? sample.cpuSeconds - earlier.cpuSeconds : sample.cpuSeconds
    if (used <= 0) continue
    total += used
    byName.set(sample.name, (byName.get(sample.name) ?? 0) + used)
  }
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, seconds]) => ({ name, seconds }))
  return { total, top }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls until a TCP connect to 127.0.0.1:port succeeds. */
export async function waitForPort(port: number, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child !== undefined && child.process.exitCode !== null) {
      throw new Error(`${child.name} exited (code ${child.process.exitCode}): ${child.stderrTail()}`)
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`port ${port} not accepting connections after ${timeoutMs} ms${child ? `: ${child.stderrTail()}` : ''}`)
}

/** The soft and hard open-file limits a spawned child gets (hard becomes its soft limit). */
export function fileLimits(): { soft: number, hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits)
  const parse = (text: string | undefined): number => text === 'unlimited' ? Infinity : Number(text)
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) }
}
