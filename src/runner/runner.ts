/**
 * The runner's side of runner-protocol.ts: applies the gateway's batches, runs each app
 * isolate with inputs at most once per event-loop turn, and sends one batch of entries back
 * per turn.
 */
import { AppIsolate, type AppIsolateHooks } from './app-isolate.js'
import type { GatewayToRunner, RpcCall, RunnerToGateway } from '../runtime/runner-protocol.js'

export interface RunnerOptions {
  send(batch: RunnerToGateway[]): void
  onCatastrophicError(message: string): void
  /** Called once per turn (the watchdog's heartbeat) and when the longest call timeout changes. */
  onTurn?(): void
  onTimeoutChange?(longestCallMs: number): void
}

interface PendingCall {
  app: AppIsolate
  generation: number
  localId: number
}

export class Runner {
  readonly #apps = new Map<string, AppIsolate>()
  readonly #calls = new Map<number, PendingCall>()
  readonly #options: RunnerOptions
  readonly #hooks: AppIsolateHooks
  #out: RunnerToGateway[] = []
  #nextCallId = 1
  #turnScheduled = false

  constructor(options: RunnerOptions) {
    this.#options = options
    this.#hooks = {
      send: (entry) => {
        this.#out.push(entry)
      },
      wake: () => this.#schedule(),
      rpc: (app, generation, localId, call) => this.#rpc(app, generation, localId, call),
      onCatastrophicError: options.onCatastrophicError,
    }
  }

  receive(batch: unknown): void {
    if (!Array.isArray(batch)) return
    for (const entry of batch as GatewayToRunner[]) this.#apply(entry)
    this.#schedule()
  }

  #apply(entry: GatewayToRunner): void {
    switch (entry.type) {
      case 'ping':
        this.#out.push({ type: 'pong', seq: entry.seq })
        return
      case 'load':
        return this.#load(entry.app)
      case 'unload': {
        const app = this.#apps.get(`${entry.appId}@${entry.version}`)
        if (app === undefined) return
        this.#apps.delete(`${entry.appId}@${entry.version}`)
        app.unload()
        this.#timeoutChanged()
        return
      }
      case 'evict-all':
        this.#apps.get(`${entry.appId}@${entry.version}`)?.evictAll()
        return
      case 'rpc-result': {
        const call = this.#calls.get(entry.callId)
        if (call === undefined) return
        this.#calls.delete(entry.callId)
        call.app.rpcResult(call.generation, call.localId, entry.ok, entry.ok ? entry.value : undefined, entry.ok ? undefined : entry.error)
        return
      }
      case 'fetch':
      case 'ws-message':
      case 'ws-close':
      case 'ws-error':
      case 'alarm': {
        const app = this.#apps.get(`${entry.appId}@${entry.version}`)
        if (app === undefined) this.#out.push({ type: 'event-done', eventId: entry.eventId, error: `app ${entry.appId} version ${entry.version} is not loaded in this runner`, cpuMs: 0 })
        else app.event(entry)
        return
      }
    }
  }

  #load(manifest: Extract<GatewayToRunner, { type: 'load' }>['app']): void {
    const key = `${manifest.appId}@${manifest.version}`
    if (this.#apps.has(key)) {
      this.#out.push({ type: 'loaded', appId: manifest.appId, version: manifest.version })
      return
    }
    const app = new AppIsolate(manifest, this.#hooks)
    try {
      app.start()
    } catch (error) {
      app.unload()
      this.#out.push({ type: 'load-error', appId: manifest.appId, version: manifest.version, error: error instanceof Error ? error.message : String(error) })
      return
    }
    this.#apps.set(key, app)
    this.#timeoutChanged()
    this.#out.push({ type: 'loaded', appId: manifest.appId, version: manifest.version })
  }

  #rpc(app: AppIsolate, generation: number, localId: number, call: RpcCall): void {
    const callId = this.#nextCallId++
    this.#calls.set(callId, { app, generation, localId })
    this.#out.push({ type: 'rpc', callId, call })
  }

  #timeoutChanged(): void {
    let longest = 0
    for (const app of this.#apps.values()) longest = Math.max(longest, app.timeoutMs)
    this.#options.onTimeoutChange?.(longest)
  }

  #schedule(): void {
    if (this.#turnScheduled) return
    this.#turnScheduled = true
    setImmediate(this.#turn)
  }

  readonly #turn = (): void => {
    this.#turnScheduled = false
    this.#options.onTurn?.()
    for (const app of this.#apps.values()) if (app.dirty) app.run()
    // Answers to RPCs of a restarted or unloaded isolate are dropped when they arrive.
    if (this.#out.length > 0) {
      const batch = this.#out
      this.#out = []
      this.#options.send(batch)
    }
  }
}
