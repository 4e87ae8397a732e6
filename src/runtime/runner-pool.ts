import { fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { RuntimeConfig } from '../config/app-schema.js'
import { RUNNER_DEFAULTS, type RunnerToGateway } from './runner-protocol.js'
import { RunnerProcess } from './runner-process.js'
import type { RuntimeCounters } from './runtime-counters.js'
import { primaryGroupOf, resolveGroupId, resolveUserId } from './os-ids.js'
import { pipeLines } from './pipe-lines.js'

/** The gateway side of one app, as the pool sees it (implemented by AppHost). */
export interface RunnerClient {
  readonly appId: string
  /** Socket ids this client hands out start with `${socketPrefix}.`. */
  readonly socketPrefix: string
  onRunnerEntry(entry: RunnerToGateway, runner: RunnerProcess): void
  /** The app's runner died; its in-flight events have already been failed. */
  onRunnerLost(reason: string): void
  /** A replacement runner took the app: load it there. */
  onRunnerAssigned(runner: RunnerProcess): void
}

export interface RunnerPoolOptions {
  config: RuntimeConfig
  logger: Logger
  counters: RuntimeCounters
  /** The runner's entry module; default dist/src/runner/runner-main.js. */
  runnerModule?: string
  heartbeatIntervalMs?: number
  heartbeatTimeoutMs?: number
}

/** A runner that has not answered its first ping gets this long (isolated-vm and platform load). */
const STARTUP_GRACE_MS = 10_000
const STOP_GRACE_MS = 1_000
/** Deaths within this window make respawns back off, so a broken runner cannot fork-loop. */
const CRASH_WINDOW_MS = 10_000

/**
 * The runner processes: `runners` active ones sharing the apps (each app on the least
 * loaded), plus an idle spare when `spare` is on. A runner that dies, or does not answer a
 * ping within the heartbeat timeout (SIGKILL), is replaced at once by the spare; its apps
 * are told (lost, then assigned) so they fail in-flight events and load again, and a new
 * spare is started. Entries from a runner are routed to the app that owns them, and only
 * if that app is assigned to that runner.
 */
export class RunnerPool {
  readonly #config: RuntimeConfig
  readonly #logger: Logger
  readonly #counters: RuntimeCounters
  readonly #module: string
  readonly #intervalMs: number
  readonly #timeoutMs: number
  readonly #ids: { uid?: number; gid?: number }
  readonly #active: RunnerProcess[] = []
  #spare: RunnerProcess | undefined
  readonly #clients = new Map<string, RunnerClient>()
  readonly #bySocketPrefix = new Map<string, RunnerClient>()
  readonly #runnerOf = new Map<string, RunnerProcess>()
  readonly #answered = new WeakSet<RunnerProcess>()
  #deaths: number[] = []
  #nextEventId = 0
  #nextRunnerId = 0
  #heartbeat: NodeJS.Timeout | undefined
  #started = false
  #stopping = false

  constructor(options: RunnerPoolOptions) {
    this.#config = options.config
    this.#logger = options.logger
    this.#counters = options.counters
    this.#module = options.runnerModule ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'runner', 'runner-main.js')
    this.#intervalMs = options.heartbeatIntervalMs ?? RUNNER_DEFAULTS.heartbeatIntervalMs
    this.#timeoutMs = options.heartbeatTimeoutMs ?? RUNNER_DEFAULTS.heartbeatTimeoutMs
    const { user, group } = options.config
    this.#ids = {
      ...(user === undefined ? {} : { uid: resolveUserId(user) }),
      ...(group !== undefined ? { gid: resolveGroupId(group) } : user !== undefined ? { gid: primaryGroupOf(user) } : {}),
    }
  }

  /** Forks the runners (and the spare); later calls do nothing. */
  start(): void {
    if (this.#started || this.#stopping) return
    this.#started = true
    for (let i = 0; i < this.#config.runners; i++) this.#active.push(this.#fork())
    if (this.#config.spare) this.#spare = this.#fork()
    this.#heartbeat = setInterval(() => this.#beat(), this.#intervalMs).unref()
  }

  /** Gives an app a runner (the active one with the fewest apps) and routes its entries. */
  assign(client: RunnerClient): RunnerProcess {
    this.start()
    // Every active runner died and its replacement waits for a backoff: start one now.
    if (this.#active.length === 0) this.#active.push(this.#fork())
    const runner = this.#active.reduce((best, candidate) => candidate.apps.size < best.apps.size ? candidate : best)
    this.#clients.set(client.appId, client)
    this.#bySocketPrefix.set(client.socketPrefix, client)
    this.#runnerOf.set(client.appId, runner)
    runner.apps.add(client.appId)
    return runner
  }

  release(appId: string): void {
    const client = this.#clients.get(appId)
    if (client) this.#bySocketPrefix.delete(client.socketPrefix)
    this.#clients.delete(appId)
    this.#runnerOf.get(appId)?.apps.delete(appId)
    this.#runnerOf.delete(appId)
  }

  /** Event ids are unique per gateway, so a runner's answer can never match another event. */
  nextEventId(): number {
    return ++this.#nextEventId
  }

  runners(): { id: number; pid: number | undefined; apps: string[]; spare: boolean }[] {
    const list = this.#active.map((runner) => ({ id: runner.id, pid: runner.pid, apps: [...runner.apps], spare: false }))
    if (this.#spare) list.push({ id: this.#spare.id, pid: this.#spare.pid, apps: [], spare: true })
    return list
  }

  /** SIGTERM to every runner, SIGKILL to those still there after a second. */
  async stop(): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    clearInterval(this.#heartbeat)
    const all = [...this.#active, ...(this.#spare ? [this.#spare] : [])]
    this.#active.length = 0
    this.#spare = undefined
    await Promise.all(all.map(async (runner) => {
      runner.kill('SIGTERM')
      const timer = setTimeout(() => runner.kill('SIGKILL'), STOP_GRACE_MS)
      await runner.exited()
      clearTimeout(timer)
    }))
  }

  #fork(): RunnerProcess {
    const id = ++this.#nextRunnerId
    const child = fork(this.#module, [], {
      execArgv: ['--no-node-snapshot'],
      serialization: 'advanced',
      // stdio[4]: the batches' pipe (runner-wire.ts frames); the IPC channel only tells either side the other is gone.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      // Tenant code never sees the environment, but keep the edge's secrets out of the runner entirely.
      env: { NODE_ENV: process.env.NODE_ENV ?? 'production', WEDGE_RUNNER_ID: String(id), WEDGE_RUNNER_PIPE: '4' },
      ...this.#ids,
    })
    const runner = new RunnerProcess(id, child, {
      entry: (from, entry) => this.#route(from, entry),
      exit: (gone, reason, lostEvents) => this.#onExit(gone, reason, lostEvents),
      error: (from, error) => this.#logger.error({ err: error, runner: from.id }, 'runner entry failed'),
    })
    if (child.stdout) pipeLines(child.stdout, (line) => this.#logger.info({ runner: id, pid: child.pid }, line))
    if (child.stderr) pipeLines(child.stderr, (line) => this.#logger.warn({ runner: id, pid: child.pid }, line))
    if (this.#config.cgroup !== undefined && child.pid !== undefined) {
      try {
        writeFileSync(path.join(this.#config.cgroup, 'cgroup.procs'), String(child.pid))
      } catch (error) {
        this.#logger.warn({ err: error, cgroup: this.#config.cgroup, runner: id }, 'could not move the runner into its cgroup')
      }
    }
    this.#logger.debug({ runner: id, pid: child.pid }, 'runner started')
    return runner
  }

  #beat(): void {
    const now = performance.now()
    for (const runner of [...this.#active, ...(this.#spare ? [this.#spare] : [])]) {
      if (runner.lastPongAt > runner.startedAt) this.#answered.add(runner)
      const limit = this.#answered.has(runner) ? this.#timeoutMs : STARTUP_GRACE_MS
      if (now - runner.lastPongAt > limit) {
        this.#logger.warn({ runner: runner.id, pid: runner.pid, silent_ms: Math.round(now - runner.lastPongAt), apps: [...runner.apps] }, 'runner stopped answering pings: killing it')
        runner.terminate('killed: no pong within the heartbeat timeout')
      } else {
        runner.ping()
      }
    }
  }

  #route(runner: RunnerProcess, entry: RunnerToGateway): void {
    const client = this.#clientFor(entry)
    if (!client || !runner.apps.has(client.appId)) {
      if (entry.type === 'rpc') runner.send({ type: 'rpc-result', callId: entry.callId, ok: false, error: `${entry.call.op} is not served for this runner` })
      return
    }
    client.onRunnerEntry(entry, runner)
  }

  #clientFor(entry: RunnerToGateway): RunnerClient | undefined {
    switch (entry.type) {
      case 'rpc':
        return 'appId' in entry.call ? this.#clients.get(entry.call.appId) : undefined
      case 'ws-send':
        return entry.socketIds.length > 0 ? this.#bySocketPrefix.get(socketPrefixOf(entry.socketIds[0]!)) : undefined
      case 'ws-close':
      case 'ws-attachment':
        return this.#bySocketPrefix.get(socketPrefixOf(entry.socketId))
      case 'auto-response':
      case 'instance-evicted':
      case 'isolate-restarted':
      case 'log':
        return this.#clients.get(entry.appId)
      default:
        return undefined
    }
  }

  #onExit(runner: RunnerProcess, reason: string, lostEvents: number): void {
    if (this.#stopping) return
    this.#counters.runnerRestarts++
    const now = performance.now()
    this.#deaths = [...this.#deaths.filter((at) => now - at < CRASH_WINDOW_MS), now]
    const apps = [...runner.apps]
    // Events in flight are failed: fetches answered 503, client messages dropped (counted).
    this.#logger.warn({ runner: runner.id, pid: runner.pid, reason, apps, lost_events: lostEvents }, 'runner died: replacing it')
    if (this.#spare === runner) {
      this.#spare = undefined
      this.#later(() => { if (this.#config.spare && !this.#spare) this.#spare = this.#fork() })
      return
    }
    const index = this.#active.indexOf(runner)
    if (index !== -1) this.#active.splice(index, 1)
    const clients = apps.map((appId) => this.#clients.get(appId)).filter((client) => client !== undefined)
    for (const client of clients) client.onRunnerLost(reason)
    const takeOver = (replacement: RunnerProcess): void => {
      this.#active.push(replacement)
      for (const client of clients) {
        if (this.#clients.get(client.appId) !== client) continue // released meanwhile
        replacement.apps.add(client.appId)
        this.#runnerOf.set(client.appId, replacement)
        client.onRunnerAssigned(replacement)
      }
    }
    const spare = this.#spare
    if (spare?.alive) {
      this.#spare = undefined
      takeOver(spare)
      this.#later(() => { if (this.#config.spare && !this.#spare) this.#spare = this.#fork() })
    } else {
      this.#later(() => takeOver(this.#fork()))
    }
  }

  /** Runs a fork now, or after a backoff when runners keep dying (250 ms doubling, ≤ 5 s). */
  #later(fork: () => void): void {
    const recent = this.#deaths.length
    const delay = recent <= 3 ? 0 : Math.min(5_000, 250 * 2 ** (recent - 4))
    const run = (): void => { if (!this.#stopping) fork() }
    if (delay === 0) run()
    else setTimeout(run, delay).unref()
  }
}

function socketPrefixOf(socketId: string): string {
  const dot = socketId.indexOf('.')
  return dot === -1 ? '' : socketId.slice(0, dot)
}
