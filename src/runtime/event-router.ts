import type { Logger } from 'pino'
import type { ObjectAddress, SocketRecord } from './runner-protocol.js'
import type { EventDone, EventEntry, RunnerProcess } from './runner-process.js'
import { ObjectQueue } from './object-queue.js'
import { objectKey, type SocketTable } from './socket-table.js'
import type { ObjectDirectory } from './object-directory.js'
import type { RuntimeCounters } from './runtime-counters.js'

/** One event on its way to the app. Version and socket snapshot are decided when it is sent. */
export interface AppEvent {
  make(eventId: number, version: number, sockets: SocketRecord[] | undefined): EventEntry
  /** The version serving an 'accept'-mode socket; undefined = the current version. */
  version?: number | undefined
  done(entry: EventDone): void
  lost(reason: string): void
}

/** What the gateway keeps per Durable Object id while it has events, sockets or a live instance. */
export interface ObjectState {
  readonly key: string
  readonly address: ObjectAddress
  readonly queue: ObjectQueue
  /** The version whose instance the gateway believes is live in the runner, if any. */
  liveVersion: number | undefined
  /** performance.now() of the last event sent. */
  lastSentAt: number
  autoResponse: { request: string; requestBytes: Buffer; response: string } | undefined
}

export interface EventRouterOptions {
  appId: string
  sockets: SocketTable
  directory: ObjectDirectory
  counters: RuntimeCounters
  logger: Logger
  nextEventId: () => number
  /** Applies an object event's storage changes; returns an error message if that failed. */
  commit(object: ObjectAddress, entry: EventDone): string | undefined
}

/**
 * Sends an app's events to its runner: stateless Worker events directly, object events
 * through each object's queue (arrival order, bounded). Tracks which object instances are
 * live so that the first event after creation, eviction, a deploy or a runner restart
 * carries the object's sockets. Events wait ("parked") while the app has no runner or the
 * target version is still loading.
 */
export class EventRouter {
  readonly #options: EventRouterOptions
  readonly #objects = new Map<string, ObjectState>()
  #runner: RunnerProcess | undefined
  /** Versions loaded in the current runner. */
  readonly #loaded = new Set<number>()
  #current = 0
  #parked: (() => void)[] = []
  #stopped: string | undefined
  #inflight = 0
  /** How long after its last event an instance may have been evicted (hibernate_after minus a margin). */
  #unsureAfterMs: number

  constructor(options: EventRouterOptions, hibernateAfterMs: number) {
    this.#options = options
    this.#unsureAfterMs = unsureAfter(hibernateAfterMs)
  }

  get current(): number {
    return this.#current
  }

  get runner(): RunnerProcess | undefined {
    return this.#runner
  }

  get liveObjects(): number {
    let live = 0
    for (const state of this.#objects.values()) if (state.liveVersion !== undefined) live++
    return live
  }

  setHibernateAfter(ms: number): void {
    this.#unsureAfterMs = unsureAfter(ms)
  }

  setRunner(runner: RunnerProcess | undefined): void {
    this.#runner = runner
    this.#loaded.clear()
    for (const state of this.#objects.values()) state.liveVersion = undefined
  }

  /** A version finished loading in the current runner; parked events for it go now. */
  markLoaded(version: number): void {
    this.#loaded.add(version)
    this.#unpark()
  }

  isLoaded(version: number): boolean {
    return this.#loaded.has(version)
  }

  markUnloaded(version: number): void {
    this.#loaded.delete(version)
    this.forgetInstances(version)
  }

  setCurrent(version: number): void {
    this.#current = version
    this.#unpark()
  }

  /** Instances of `version` (or of every version) are gone from the runner. */
  forgetInstances(version?: number): void {
    for (const state of this.#objects.values()) {
      if (version === undefined || state.liveVersion === version) state.liveVersion = undefined
    }
    for (const state of [...this.#objects.values()]) this.#collect(state)
  }

  onEvicted(object: ObjectAddress, version: number): void {
    const state = this.#objects.get(objectKey(object))
    if (!state || state.liveVersion !== version) return
    state.liveVersion = undefined
    this.#collect(state)
  }

  object(address: ObjectAddress): ObjectState {
    return this.#object(address)
  }

  existingObject(key: string): ObjectState | undefined {
    return this.#objects.get(key)
  }

  /** Queues an event for an object; false when the object has too many pending (nothing queued). */
  toObject(address: ObjectAddress, event: AppEvent, key?: string): boolean {
    const state = this.#object(address, key)
    return state.queue.push({ start: (finish) => this.#send(state, event, finish), fail: (reason) => event.lost(reason) })
  }

  /** Sends an event to the stateless Worker. */
  toWorker(event: AppEvent): void {
    this.#send(undefined, event, noop)
  }

  /** Resolves when no event is in flight (or after `timeoutMs`): their writes can still commit. */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs
    while (this.#inflight > 0 && this.#runner?.alive && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  /** The app stops: parked and later events are lost with `reason`. */
  stop(reason: string): void {
    this.#stopped = reason
    this.#unpark()
  }

  #send(state: ObjectState | undefined, event: AppEvent, finish: () => void): void {
    if (this.#stopped !== undefined) {
      finish()
      return event.lost(this.#stopped)
    }
    const version = event.version ?? this.#current
    const runner = this.#runner
    if (event.version !== undefined && event.version !== this.#current && runner && !this.#loaded.has(event.version)) {
      finish()
      return event.lost(`version ${event.version} is no longer loaded`)
    }
    if (!runner || !runner.alive || !this.#loaded.has(version)) {
      this.#parked.push(() => this.#send(state, event, finish))
      return
    }
    const now = performance.now()
    let sockets: SocketRecord[] | undefined
    if (state) {
      if (state.liveVersion !== version || now - state.lastSentAt > this.#unsureAfterMs) sockets = this.#options.sockets.snapshot(state.key)
      state.liveVersion = version
      state.lastSentAt = now
    }
    const entry = event.make(this.#options.nextEventId(), version, sockets)
    this.#options.counters.eventsSent++
    this.#inflight++
    runner.dispatch(entry, {
      done: (done) => {
        this.#inflight--
        if (state) {
          if (done.limit) state.liveVersion = undefined
          const failure = (done.writes?.length || done.deleteAll || done.alarm !== undefined) ? this.#options.commit(state.address, done) : undefined
          if (failure !== undefined) done = { ...done, error: done.error ?? failure }
        }
        finish()
        event.done(done)
        if (state) this.#collect(state)
      },
      lost: (reason) => {
        this.#inflight--
        this.#options.counters.eventsLost++
        if (state) state.liveVersion = undefined
        finish()
        event.lost(reason)
        if (state) this.#collect(state)
      },
    })
  }

  #unpark(): void {
    if (this.#parked.length === 0) return
    const parked = this.#parked
    this.#parked = []
    for (const retry of parked) retry()
  }

  #object(address: ObjectAddress, key = objectKey(address)): ObjectState {
    let state = this.#objects.get(key)
    if (state) return state
    state = { key, address, queue: new ObjectQueue({ paused: true }), liveVersion: undefined, lastSentAt: 0, autoResponse: undefined }
    this.#objects.set(key, state)
    const placed = state
    this.#options.directory.place(this.#options.appId, address).then((place) => {
      if (place === 'local') return placed.queue.resume()
      // Cross-node forwarding arrives with the cluster directory; until then refuse.
      this.#options.logger.warn({ app: this.#options.appId, object: address.objectId, node: place.node }, 'object placed on another node: not supported yet')
      for (const waiting of placed.queue.drain()) waiting.fail(`object lives on node ${place.node}`)
      this.#collect(placed)
    }, (error: unknown) => {
      this.#options.logger.error({ err: error, app: this.#options.appId }, 'object placement failed')
      placed.queue.resume()
    })
    return state
  }

  /** Forgets an object with nothing pending, no sockets and no live instance. */
  #collect(state: ObjectState): void {
    if (state.liveVersion !== undefined || !state.queue.idle || this.#options.sockets.ofObject(state.key)) return
    if (this.#objects.get(state.key) === state) this.#objects.delete(state.key)
  }
}

function noop(): void {}

/** Past this idle time an eviction may be in flight: send the socket snapshot to be safe. */
function unsureAfter(hibernateAfterMs: number): number {
  return hibernateAfterMs - Math.min(hibernateAfterMs / 2, 1_000)
}
