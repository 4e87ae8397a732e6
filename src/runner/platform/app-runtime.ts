/**
 * The app inside its isolate: routes events to the stateless worker (concurrently) or to
 * object instances (through their input gates), keeps the accept-mode socket table, and
 * evicts idle instances.
 */
import { toArrayBuffer } from './bytes.js'
import { reportError } from './console.js'
import { CloseEvent, ErrorEvent, MessageEvent, type Event } from './events.js'
import { emit, host, runAs, settleRpc, unowned, now } from './host-link.js'
import { ObjectInstance } from './instance.js'
import { DurableObjectNamespace } from './namespace.js'
import { DurableObjectState } from './object-state.js'
import { after, describeError, emitEventDone, responseOutcome, type Outcome } from './outcome.js'
import { requestFromWire } from './request.js'
import { clearTimersOf, fireTimer } from './timers.js'
import { closedSocket, coreOf, socketFromRecord, type WebSocket } from './websocket.js'
import type { EventEntry, IsolateInput, PlatformConfig, SocketRecord } from '../isolate-messages.js'

type Handler = (...args: unknown[]) => unknown

export class AppRuntime {
  readonly #instances = new Map<string, ObjectInstance>()
  /** The instance of the previous object event (a hint; checked before use). */
  #last: ObjectInstance | undefined
  readonly #acceptSockets = new Map<string, WebSocket>()
  readonly #env: Record<string, unknown> = {}
  readonly #classNames: Set<string>
  readonly #idleMs: number
  #exports: Record<string, unknown> = {}

  constructor(config: PlatformConfig) {
    Object.assign(this.#env, config.vars, config.secrets)
    for (const { binding, className } of config.durableObjects) this.#env[binding] = new DurableObjectNamespace(className)
    this.#classNames = new Set(config.durableObjects.map((entry) => entry.className))
    this.#idleMs = config.hibernateAfterMs
  }

  get live(): number {
    return this.#instances.size
  }

  /** Takes the app module's namespace; returns an error message when a bound class is missing. */
  bindExports(namespace: Record<string, unknown>): string {
    this.#exports = namespace
    for (const className of this.#classNames) {
      if (typeof namespace[className] !== 'function') return `Durable Object class "${className}" is not exported by the app module`
    }
    return ''
  }

  apply(input: IsolateInput): void {
    switch (input.t) {
      case 'event': return this.event(input.event)
      case 'rpc': return settleRpc(input.id, input.ok, input.value, input.error)
      case 'timer': return fireTimer(input.id)
      case 'sweep': return this.#sweep(false)
      case 'evict-all': return this.#sweep(true)
    }
  }

  event(event: EventEntry): void {
    if (event.object === undefined) return this.#workerEvent(event)
    // A batch mostly carries runs of events for one object: compare the id with the last
    // instance's before building and hashing the ~70-character key again.
    const last = this.#last
    let instance = last !== undefined && !last.evicted && last.address.objectId === event.object.objectId && last.address.className === event.object.className
      ? last
      : this.#instances.get(`${event.object.className}:${event.object.objectId}`)
    if (instance === undefined) {
      try {
        instance = this.#create(event)
      } catch (error) {
        emit({ type: 'event-done', eventId: event.eventId, error: describeError(error) })
        return
      }
    }
    this.#last = instance
    instance.enqueue(event)
  }

  #create(event: EventEntry): ObjectInstance {
    const address = event.object!
    const Class = this.#exports[address.className]
    if (!this.#classNames.has(address.className) || typeof Class !== 'function') {
      throw new TypeError(`No Durable Object class "${address.className}" in this app`)
    }
    const instance = new ObjectInstance(address, this.#runObjectEvent, this.#onBroken)
    const records = event.sockets ?? host<SocketRecord[] | null>('sockets', address.className, address.objectId) ?? []
    for (const record of records) {
      const ws = socketFromRecord(record, instance)
      instance.sockets.add(ws)
      instance.socketsById.set(record.socketId, ws)
    }
    const state = new DurableObjectState(instance)
    instance.object = runAs(instance, () => new (Class as new (...args: unknown[]) => Record<string, unknown>)(state, this.#env))
    this.#instances.set(instance.key, instance)
    return instance
  }

  #onBroken = (instance: ObjectInstance, error: unknown): void => {
    reportError(error, 'blockConcurrencyWhile; the object was reset')
    for (const event of instance.takeQueue()) emit({ type: 'event-done', eventId: event.eventId, error: describeError(error) })
    this.#evict(instance)
  }

  #runObjectEvent = (instance: ObjectInstance, event: EventEntry): Outcome | Promise<Outcome> => {
    const target = instance.object!
    const method = (name: string): Handler | undefined => {
      const fn = target[name]
      return typeof fn === 'function' ? (fn as Handler).bind(target) : undefined
    }
    switch (event.type) {
      case 'fetch': {
        const fetch = method('fetch')
        if (fetch === undefined) throw new TypeError(`Durable Object class "${instance.address.className}" has no fetch() handler`)
        return after(fetch(requestFromWire(event.request)), (value) => responseOutcome(value, event.request.upgradeSocketId, this.#register, instance))
      }
      case 'alarm': {
        const alarm = method('alarm')
        if (alarm === undefined) throw new TypeError(`Durable Object class "${instance.address.className}" has no alarm() handler`)
        return after(alarm({ retryCount: event.retryCount, isRetry: event.retryCount > 0 }), () => ({}))
      }
      default:
        return this.#socketEvent(event, this.#socketOf(instance, event.socketId), method)
    }
  }

  #workerEvent(event: EventEntry): void {
    let outcome: Outcome | Promise<Outcome>
    try {
      outcome = runAs(unowned, () => this.#runWorkerEvent(event))
    } catch (error) {
      outcome = { error: describeError(error) }
    }
    const finish = (settled: Outcome): void => {
      emitEventDone(event.eventId, settled)
      settled.afterDone?.()
    }
    if (outcome instanceof Promise) outcome.then(finish, (error: unknown) => finish({ error: describeError(error) }))
    else finish(outcome)
  }

  #runWorkerEvent(event: EventEntry): Outcome | Promise<Outcome> {
    if (event.type === 'fetch') {
      const main = this.#exports.default as ({ fetch?: Handler; prototype?: { fetch?: unknown } } & object) | undefined
      const request = requestFromWire(event.request)
      const ctx = { waitUntil: (promise: unknown) => void Promise.resolve(promise).catch((error: unknown) => reportError(error, 'waitUntil')), passThroughOnException: () => {}, props: {} }
      let result: unknown
      if (typeof main === 'function' && typeof (main as { prototype?: { fetch?: unknown } }).prototype?.fetch === 'function') {
        const entry = new (main as unknown as new (...args: unknown[]) => { fetch: Handler })(ctx, this.#env)
        result = entry.fetch(request)
      } else if (main !== undefined && main !== null && typeof main.fetch === 'function') {
        result = main.fetch(request, this.#env, ctx)
      } else {
        throw new TypeError('The app has no fetch handler (export default { fetch(request, env, ctx) { … } })')
      }
      return after(result, (value) => responseOutcome(value, event.request.upgradeSocketId, this.#register))
    }
    if (event.type === 'alarm') throw new TypeError('alarm events need an object')
    const ws = this.#acceptSockets.get(event.socketId)
    if (ws === undefined) throw new Error(`Unknown WebSocket ${event.socketId}`)
    return this.#socketEvent(event, ws, () => undefined)
  }

  /** ws-message/close/error: a hibernation handler on the object, or the socket's listeners. */
  #socketEvent(event: Exclude<EventEntry, { type: 'fetch' | 'alarm' }>, ws: WebSocket, method: (name: string) => Handler | undefined): Outcome | Promise<Outcome> {
    const core = coreOf(ws)
    const hibernated = core.mode === 'hibernate'
    let args: unknown[]
    let name: string
    // The listener Event is built only for an 'accept'-mode socket: a hibernated one has none.
    let listenerEvent: () => Event
    if (event.type === 'ws-message') {
      const data = typeof event.data === 'string' ? event.data : toArrayBuffer(event.data)
      name = 'webSocketMessage'
      args = [ws, data]
      listenerEvent = () => new MessageEvent('message', { data })
    } else if (event.type === 'ws-close') {
      closedSocket(ws)
      if (hibernated) {
        const owner = core.owner as ObjectInstance
        owner.sockets.delete(ws)
        owner.socketsById.delete(event.socketId)
      } else if (this.#acceptSockets.delete(event.socketId) && core.owner !== null) {
        core.owner.pins--
      }
      name = 'webSocketClose'
      args = [ws, event.code, event.reason, event.wasClean]
      listenerEvent = () => new CloseEvent('close', { code: event.code, reason: event.reason, wasClean: event.wasClean })
    } else {
      const error = new Error(event.message)
      name = 'webSocketError'
      args = [ws, error]
      listenerEvent = () => new ErrorEvent('error', { message: event.message, error })
    }
    if (!hibernated) {
      ws.dispatchEvent(listenerEvent())
      return {}
    }
    const handler = method(name)
    return handler === undefined ? {} : after(handler(...args), () => ({}))
  }

  #socketOf(instance: ObjectInstance, socketId: string): WebSocket {
    const known = instance.socketsById.get(socketId) ?? this.#acceptSockets.get(socketId)
    if (known !== undefined) return known
    // The gateway says the socket belongs to this object but the runner has no record of it.
    const ws = socketFromRecord({ socketId, tags: [], attachment: null, protocol: '' }, instance)
    instance.sockets.add(ws)
    instance.socketsById.set(socketId, ws)
    return ws
  }

  #register = (ws: WebSocket, socketId: string): void => {
    const core = coreOf(ws)
    if (core.mode === 'hibernate') {
      ;(core.owner as ObjectInstance).socketsById.set(socketId, ws)
      return
    }
    this.#acceptSockets.set(socketId, ws)
    if (core.owner !== null) core.owner.pins++
  }

  #evict(instance: ObjectInstance): void {
    if (this.#instances.get(instance.key) === instance) this.#instances.delete(instance.key)
    // The hint must not keep an evicted instance (and its sockets) alive.
    if (this.#last === instance) this.#last = undefined
    if (instance.evicted) return
    instance.evicted = true
    clearTimersOf(instance)
    emit({ type: 'instance-evicted', object: instance.address })
  }

  /** Evicts idle instances; `all` (deploy) marks every instance to go as soon as it is idle. */
  #sweep(all: boolean): void {
    const time = now()
    const blocked = unowned.pendingTimers > 0 || unowned.pendingRpcs > 0
    for (const instance of [...this.#instances.values()]) {
      if (all) instance.evictWhenIdle = true
      if ((!blocked || instance.evictWhenIdle) && instance.idle(time, this.#idleMs)) this.#evict(instance)
    }
  }
}
