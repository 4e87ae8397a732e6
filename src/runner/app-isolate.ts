/**
 * One loaded app version: its isolate (memory limit from the manifest), the platform and
 * app module inside it, and every call into it. Inputs gathered during an event-loop turn go
 * in with ONE synchronous call carrying the CPU timeout; outputs come back in its result.
 * A call killed by the timeout or the memory limit ends every event in flight with `limit`,
 * and the isolate is re-created empty (`isolate-restarted`).
 */
import ivm from 'isolated-vm'
import { createHostFunction } from './host-functions.js'
import { runPlatform } from './platform-script.js'
import { SocketMirror } from './socket-mirror.js'
import { applyOutputs, encodeInputs, type OutputSink } from './isolate-records.js'
import type { DispatchResult, EventEntry, IsolateInput, PlatformConfig } from './isolate-messages.js'
import { RUNNER_DEFAULTS, type AppManifest, type RpcCall } from '../runtime/runner-protocol.js'

/** What an AppIsolate needs from its runner. */
export interface AppIsolateHooks extends Pick<OutputSink, 'send'> {
  /** Schedules a turn: inputs are waiting. */
  wake(): void
  /** Allocates a runner-wide call id and sends the RPC; the answer comes back through rpcResult(). */
  rpc(app: AppIsolate, generation: number, localId: number, call: RpcCall): void
  onCatastrophicError(message: string): void
}

const MAX_INPUTS_PER_CALL = 1024
const STARTUP_TIMEOUT_MS = 1000

export class AppIsolate {
  readonly appId: string
  readonly version: number
  readonly manifest: AppManifest
  /** Wall-clock timeout of one call (isolated-vm); events stop being started after `#budgetMs`. */
  readonly timeoutMs: number
  readonly #budgetMs: number
  readonly #hooks: AppIsolateHooks
  readonly #sink: OutputSink
  readonly #mirror = new SocketMirror()
  readonly #timers = new Map<number, NodeJS.Timeout>()
  /** Events handed to the isolate (or queued for it) and not done yet; value: ws-close socket id. */
  readonly #pending = new Map<number, string | null>()
  #isolate: ivm.Isolate | undefined
  #dispatch: ivm.Reference | undefined
  #generation = 0
  #inputs: IsolateInput[] = []
  #live = 0
  #sweeper: NodeJS.Timeout

  constructor(manifest: AppManifest, hooks: AppIsolateHooks) {
    this.manifest = manifest
    this.appId = manifest.appId
    this.version = manifest.version
    this.#hooks = hooks
    const cpuMs = Math.max(1, manifest.limits.cpuMs)
    this.#budgetMs = Math.max(1, Math.floor(cpuMs / 2))
    this.timeoutMs = cpuMs + this.#budgetMs
    const idleMs = this.#idleMs()
    this.#sweeper = setInterval(() => {
      if (this.#live > 0) this.#push({ t: 'sweep' })
    }, Math.min(1000, Math.max(25, Math.floor(idleMs / 2))))
    this.#sweeper.unref()
    this.#sink = {
      appId: this.appId,
      version: this.version,
      send: (entry) => this.#hooks.send(entry),
      isPending: (eventId) => this.#pending.has(eventId),
      done: (eventId) => {
        const closing = this.#pending.get(eventId)
        this.#pending.delete(eventId)
        if (closing) this.#mirror.remove(closing)
      },
      mirror: this.#mirror,
      rpc: (localId, call) => this.#hooks.rpc(this, this.#generation, localId, call),
      timer: (id, ms) => {
        clearTimeout(this.#timers.get(id))
        const generation = this.#generation
        this.#timers.set(id, setTimeout(() => {
          this.#timers.delete(id)
          if (generation === this.#generation) this.#push({ t: 'timer', id })
        }, ms))
      },
      clearTimer: (id) => {
        clearTimeout(this.#timers.get(id))
        this.#timers.delete(id)
      },
    }
  }

  /** The manifest may carry the site's hibernate_after (not in the protocol yet). */
  #idleMs(): number {
    const value = (this.manifest as AppManifest & { hibernateAfterMs?: unknown }).hibernateAfterMs
    return typeof value === 'number' && value >= 0 ? value : RUNNER_DEFAULTS.hibernateAfterMs
  }

  get generation(): number {
    return this.#generation
  }

  get dirty(): boolean {
    return this.#inputs.length > 0
  }

  /** Creates the isolate and evaluates the app. Throws with the reason when the app cannot load. */
  start(): void {
    this.#generation++
    const isolate = new ivm.Isolate({
      memoryLimit: Math.max(8, this.manifest.limits.memoryMb),
      onCatastrophicError: (message) => this.#hooks.onCatastrophicError(message),
    })
    this.#isolate = isolate
    try {
      this.#dispatch = this.#load(isolate)
    } catch (error) {
      this.#dispose()
      throw error
    }
  }

  #load(isolate: ivm.Isolate): ivm.Reference {
    const context = isolate.createContextSync()
    const setup = runPlatform(isolate, context, STARTUP_TIMEOUT_MS)
    const host = new ivm.Callback(createHostFunction(this.appId, (className, objectId) => this.#mirror.get(className, objectId)))
    const functions = setup.applySync(undefined, [host, new ivm.ExternalCopy(this.#platformConfig()).copyInto()], { result: { reference: true }, timeout: STARTUP_TIMEOUT_MS }) as ivm.Reference
    const bind = functions.getSync(0, { reference: true }) as ivm.Reference
    const dispatch = functions.getSync(1, { reference: true }) as ivm.Reference
    const app = isolate.compileModuleSync(this.manifest.code, { filename: `file:///${this.appId}/v${this.version}/app.js` })
    const synthetic = new Map<string, ivm.Module>()
    app.instantiateSync(context, (specifier) => {
      let module = synthetic.get(specifier)
      if (module === undefined) {
        module = isolate.compileModuleSync(this.#syntheticSource(specifier), { filename: `wedge:${specifier}` })
        synthetic.set(specifier, module)
      }
      return module
    })
    app.evaluateSync({ timeout: Math.max(STARTUP_TIMEOUT_MS, this.timeoutMs) })
    const problem = bind.applySync(undefined, [app.namespace.derefInto()], { result: { copy: true }, timeout: this.timeoutMs }) as string
    if (problem !== '') throw new Error(problem)
    return dispatch
  }

  #syntheticSource(specifier: string): string {
    if (specifier === 'cloudflare:workers') {
      return `const w = globalThis[Symbol.for('wedge.workers')];
export const DurableObject = w.DurableObject, WorkerEntrypoint = w.WorkerEntrypoint, RpcTarget = w.RpcTarget;
export default w;`
    }
    const module = this.manifest.modules[specifier]
    if (module === undefined) throw new Error(`Cannot resolve module "${specifier}" (only cloudflare:workers and the app's text/data modules)`)
    if (module.type === 'text') return `export default ${JSON.stringify(module.value)};`
    return `export default globalThis[Symbol.for('wedge.dataModule')](${JSON.stringify(specifier)});`
  }

  #platformConfig(): PlatformConfig {
    const dataModules: Record<string, Uint8Array> = {}
    for (const [specifier, module] of Object.entries(this.manifest.modules)) {
      if (module.type === 'data') dataModules[specifier] = new Uint8Array(module.value)
    }
    const { appId, version, durableObjects, vars, secrets, allowWasm } = this.manifest
    return { appId, version, durableObjects, vars, secrets, allowWasm, dataModules, hibernateAfterMs: this.#idleMs() }
  }

  event(event: EventEntry): void {
    if (event.object !== undefined && event.sockets !== undefined) this.#mirror.replace(event.object, event.sockets)
    this.#pending.set(event.eventId, event.type === 'ws-close' && event.object !== undefined ? event.socketId : null)
    this.#push({ t: 'event', event })
  }

  rpcResult(generation: number, localId: number, ok: boolean, value: unknown, error: string | undefined): void {
    if (generation !== this.#generation) return
    this.#push(ok ? { t: 'rpc', id: localId, ok, value } : { t: 'rpc', id: localId, ok, error })
  }

  evictAll(): void {
    this.#push({ t: 'evict-all' })
  }

  #push(input: IsolateInput): void {
    this.#inputs.push(input)
    this.#hooks.wake()
  }

  /** One call into the isolate with the inputs gathered so far. */
  run(): void {
    if (this.#inputs.length === 0) return
    const isolate = this.#isolate
    if (isolate === undefined || this.#dispatch === undefined) return this.#failInputs('the app failed to restart')
    const inputs = this.#inputs.length > MAX_INPUTS_PER_CALL ? this.#inputs.splice(0, MAX_INPUTS_PER_CALL) : this.#inputs
    if (inputs === this.#inputs) this.#inputs = []
    const records = encodeInputs(inputs)
    const cpuBefore = isolate.cpuTime
    let result: DispatchResult
    try {
      result = this.#dispatch.applySync(undefined, [records, this.#budgetMs], { arguments: { copy: true }, result: { copy: true }, timeout: this.timeoutMs }) as DispatchResult
    } catch (error) {
      return this.#killed(error)
    }
    const consumed = result[0] as number
    if (consumed < inputs.length) this.#inputs = inputs.slice(consumed).concat(this.#inputs)
    this.#live = result[1] as number
    const cpuNs = isolate.isDisposed ? 0 : Number(isolate.cpuTime - cpuBefore)
    applyOutputs(result, cpuNs, this.#sink)
    if (this.#inputs.length > 0) this.#hooks.wake()
  }

  /** The call was terminated: fail what was in flight, then start a fresh isolate. */
  #killed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error)
    const disposed = this.#isolate?.isDisposed ?? true
    const limit = /timed out/i.test(message) ? 'cpu' : disposed ? 'memory' : undefined
    const reason = limit === 'cpu' ? `CPU limit of ${this.manifest.limits.cpuMs} ms exceeded` : limit === 'memory' ? `memory limit of ${this.manifest.limits.memoryMb} MB exceeded` : `app isolate failed: ${message}`
    this.#failPending(reason, limit)
    this.#hooks.send({ type: 'log', appId: this.appId, level: 'error', message: `${reason}; the isolate was restarted and its instances dropped` })
    this.#hooks.send({ type: 'isolate-restarted', appId: this.appId, version: this.version, reason })
    this.#dispose()
    this.#inputs = this.#inputs.filter((input) => input.t === 'event' || input.t === 'evict-all')
    try {
      this.start()
    } catch (restartError) {
      this.#hooks.send({ type: 'log', appId: this.appId, level: 'error', message: `app isolate could not restart: ${String(restartError)}` })
    }
    if (this.#inputs.length > 0) this.#hooks.wake()
  }

  /** Ends every event handed to the dead isolate; events still queued here go to the new one. */
  #failPending(error: string, limit: 'cpu' | 'memory' | undefined): void {
    const queued = new Set(this.#inputs.flatMap((input) => (input.t === 'event' ? [input.event.eventId] : [])))
    for (const eventId of [...this.#pending.keys()]) {
      if (queued.has(eventId)) continue
      this.#pending.delete(eventId)
      this.#hooks.send({ type: 'event-done', eventId, error, ...(limit && { limit }), cpuMs: limit === 'cpu' ? this.manifest.limits.cpuMs : 0 })
    }
  }

  #failInputs(error: string): void {
    const inputs = this.#inputs
    this.#inputs = []
    for (const input of inputs) {
      if (input.t !== 'event') continue
      this.#pending.delete(input.event.eventId)
      this.#hooks.send({ type: 'event-done', eventId: input.event.eventId, error, cpuMs: 0 })
    }
  }

  #dispose(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#live = 0
    this.#dispatch = undefined
    const isolate = this.#isolate
    this.#isolate = undefined
    if (isolate !== undefined && !isolate.isDisposed) isolate.dispose()
  }

  /** Drops the app version; events still in flight end with an error. */
  unload(): void {
    clearInterval(this.#sweeper)
    this.#generation++
    this.#failPending('the app version was unloaded', undefined)
    this.#failInputs('the app version was unloaded')
    this.#dispose()
  }
}
