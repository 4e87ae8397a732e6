import type { ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import type { AppManifest, GatewayToRunner, RunnerToGateway } from './runner-protocol.js'
import { WireDecoder, WireEncoder } from './runner-wire.js'

export type EventEntry = Extract<GatewayToRunner, { eventId: number }>
export type EventDone = Extract<RunnerToGateway, { type: 'event-done' }>

/** The gateway's side of one event in flight: exactly one of the two is called. */
export interface InflightEvent {
  done(entry: EventDone): void
  /** The runner died (or was stopped) before answering. */
  lost(reason: string): void
}

export interface RunnerProcessHandlers {
  /** Every entry that is not an answer the process itself tracks (event-done, loaded, pong). */
  entry(runner: RunnerProcess, entry: RunnerToGateway): void
  /** Called once when the process is gone, after its `lostEvents` in-flight events were failed. */
  exit(runner: RunnerProcess, reason: string, lostEvents: number): void
  error(runner: RunnerProcess, error: unknown): void
}

/**
 * One runner child process as the gateway sees it: a batched outbox (at most one message
 * per event-loop turn, as the protocol asks), the events and loads in flight, and
 * heartbeat state. Knows nothing of apps beyond the ids assigned to it. Batches travel as
 * runner-wire.ts frames on the child's `pipe` (stdio[4]) when it has one, else over the
 * IPC channel.
 */
export class RunnerProcess {
  readonly id: number
  /** Apps assigned to this runner; entries about other apps are ignored. */
  readonly apps = new Set<string>()
  readonly startedAt = performance.now()
  lastPongAt = performance.now()
  readonly #child: ChildProcess
  readonly #handlers: RunnerProcessHandlers
  readonly #pipe: Socket | undefined
  readonly #encoder = new WireEncoder()
  #outbox: GatewayToRunner[] = []
  #flushScheduled = false
  readonly #inflight = new Map<number, InflightEvent>()
  readonly #loads = new Map<string, { resolve: () => void; reject: (error: Error) => void }>()
  #alive = true
  #pingSeq = 0

  constructor(id: number, child: ChildProcess, handlers: RunnerProcessHandlers) {
    this.id = id
    this.#child = child
    this.#handlers = handlers
    child.on('message', (message: unknown) => this.#onMessage(message))
    this.#pipe = (child.stdio[4] ?? undefined) as Socket | undefined
    if (this.#pipe) {
      const decoder = new WireDecoder((batch) => this.#onMessage(batch))
      this.#pipe.on('data', (chunk: Buffer) => {
        try {
          decoder.push(chunk)
        } catch (error) {
          handlers.error(this, error)
          this.kill()
        }
      })
      // A broken pipe means the runner is gone: its exit event does the rest.
      this.#pipe.on('error', () => this.kill())
    }
    child.once('exit', (code, signal) => this.#gone(signal ? `killed by ${signal}` : `exited with code ${code}`))
    child.on('error', (error) => {
      // Also emitted when a send fails: only a process that never started is gone here.
      if (child.pid === undefined) return this.#gone(`could not start: ${error.message}`)
      handlers.error(this, error)
      this.kill()
    })
    child.once('disconnect', () => {
      if (this.#alive) child.kill('SIGKILL')
    })
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  get alive(): boolean {
    return this.#alive
  }

  get inflight(): number {
    return this.#inflight.size
  }

  /** Queues an entry; the outbox is flushed as one IPC message after this turn. */
  send(entry: GatewayToRunner): void {
    if (!this.#alive) return
    this.#outbox.push(entry)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => this.#flush())
  }

  /** Sends an event; `inflight` hears its event-done, or `lost` if the runner dies first. */
  dispatch(entry: EventEntry, inflight: InflightEvent): void {
    if (!this.#alive) return inflight.lost('runner is gone')
    this.#inflight.set(entry.eventId, inflight)
    this.send(entry)
  }

  /** Loads an app version; rejects with the runner's load-error message. */
  load(manifest: AppManifest): Promise<void> {
    if (!this.#alive) return Promise.reject(new Error('runner is gone'))
    const key = `${manifest.appId}\n${manifest.version}`
    this.#loads.get(key)?.reject(new Error('superseded by a new load of the same version'))
    return new Promise((resolve, reject) => {
      this.#loads.set(key, { resolve, reject })
      this.send({ type: 'load', app: manifest })
    })
  }

  ping(): void {
    this.send({ type: 'ping', seq: ++this.#pingSeq })
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal)
  }

  /**
   * SIGKILLs the process and treats it as gone now, without waiting for its exit event:
   * nothing more is sent to it, so no event is lost between the decision and the exit.
   */
  terminate(reason: string): void {
    this.kill('SIGKILL')
    this.#gone(reason)
  }

  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => this.#child.once('exit', () => resolve()))
  }

  #flush(): void {
    this.#flushScheduled = false
    const batch = this.#outbox
    this.#outbox = []
    if (!this.#alive || batch.length === 0 || !this.#child.connected) return
    try {
      if (this.#pipe) {
        this.#pipe.write(this.#encoder.frame(batch))
        return
      }
      this.#child.send(batch, (error) => {
        if (error) this.#handlers.error(this, error)
      })
    } catch (error) {
      this.#handlers.error(this, error)
    }
  }

  #onMessage(message: unknown): void {
    if (!Array.isArray(message)) return
    for (const entry of message as RunnerToGateway[]) {
      try {
        this.#apply(entry)
      } catch (error) {
        this.#handlers.error(this, error)
      }
    }
  }

  #apply(entry: RunnerToGateway): void {
    switch (entry.type) {
      case 'event-done': {
        const inflight = this.#inflight.get(entry.eventId)
        if (!inflight) return
        this.#inflight.delete(entry.eventId)
        inflight.done(entry)
        return
      }
      case 'loaded':
      case 'load-error': {
        const key = `${entry.appId}\n${entry.version}`
        const load = this.#loads.get(key)
        if (!load) return
        this.#loads.delete(key)
        if (entry.type === 'loaded') load.resolve()
        else load.reject(new Error(entry.error))
        return
      }
      case 'pong':
        this.lastPongAt = performance.now()
        return
      default:
        this.#handlers.entry(this, entry)
    }
  }

  #gone(reason: string): void {
    if (!this.#alive) return
    this.#alive = false
    this.#outbox = []
    const inflight = [...this.#inflight.values()]
    this.#inflight.clear()
    const loads = [...this.#loads.values()]
    this.#loads.clear()
    for (const load of loads) load.reject(new Error(`runner ${reason}`))
    for (const event of inflight) {
      try {
        event.lost(reason)
      } catch (error) {
        this.#handlers.error(this, error)
      }
    }
    this.#handlers.exit(this, reason, inflight.length)
  }
}
