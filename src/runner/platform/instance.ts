/**
 * One live Durable Object instance: its input gate (events run one at a time, in arrival
 * order), its storage buffer and its output gate (ws-send/ws-close issued while writes are
 * uncommitted are held until the event's `event-done` has been emitted).
 */
import { runAs, now } from './host-link.js'
import { StorageBuffer, type Snapshot } from './storage-buffer.js'
import type { SocketHolder, WebSocket } from './websocket.js'
import type { StorageOwner } from './storage.js'
import type { EventEntry } from '../isolate-messages.js'
import type { ObjectAddress } from '../../runtime/runner-protocol.js'
import { describeError, emitEventDone, type Outcome } from './outcome.js'

export type EventRunner = (instance: ObjectInstance, event: EventEntry) => Outcome | Promise<Outcome>

export class ObjectInstance implements SocketHolder, StorageOwner {
  readonly address: ObjectAddress
  readonly key: string
  readonly buffer = new StorageBuffer()
  pendingTimers = 0
  pendingRpcs = 0
  pins = 0
  evicted = false
  /** Set by evict-all (deploy): dropped as soon as it has no running event and no pins. */
  evictWhenIdle = false
  /** Hibernatable sockets (ctx.acceptWebSocket), including ones not bound to an id yet. */
  readonly sockets = new Set<WebSocket>()
  readonly socketsById = new Map<string, WebSocket>()
  /** The app's object (set after its constructor ran). */
  object: Record<string, unknown> | null = null
  lastActive = now()
  #queue: EventEntry[] = []
  #running = false
  #pumping = false
  #blocked: Promise<unknown> | null = null
  #held: (() => void)[] = []
  #runEvent: EventRunner
  #onBroken: (instance: ObjectInstance, error: unknown) => void

  constructor(address: ObjectAddress, runEvent: EventRunner, onBroken: (instance: ObjectInstance, error: unknown) => void) {
    this.address = address
    this.key = `${address.className}:${address.objectId}`
    this.#runEvent = runEvent
    this.#onBroken = onBroken
  }

  get busy(): boolean {
    return this.#running || this.#queue.length > 0 || this.#blocked !== null
  }

  /** True when nothing would be lost by dropping the instance now. */
  idle(now: number, idleMs: number): boolean {
    if (this.busy || this.pins > 0 || this.buffer.pending) return false
    if (this.evictWhenIdle) return true
    return this.pendingTimers === 0 && this.pendingRpcs === 0 && now - this.lastActive >= idleMs
  }

  gate(action: () => void): void {
    if (this.buffer.pending || this.#held.length > 0) this.#held.push(action)
    else action()
  }

  /** blockConcurrencyWhile: no event starts until `promise` settles; a rejection resets the object. */
  block(promise: Promise<unknown>): void {
    const blocked: Promise<unknown> = promise.then(
      () => {
        if (this.#blocked === blocked) this.#blocked = null
        this.#pump()
      },
      (error: unknown) => {
        if (this.#blocked === blocked) this.#blocked = null
        this.#onBroken(this, error)
      },
    )
    this.#blocked = blocked
  }

  enqueue(event: EventEntry): void {
    this.#queue.push(event)
    this.#pump()
  }

  /** Events that never started (the instance is being reset). */
  takeQueue(): EventEntry[] {
    const queue = this.#queue
    this.#queue = []
    return queue
  }

  #pump(): void {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (!this.#running && this.#blocked === null && this.#queue.length > 0 && !this.evicted) this.#start(this.#queue.shift()!)
    } finally {
      this.#pumping = false
    }
  }

  #start(event: EventEntry): void {
    this.#running = true
    const snapshot = this.buffer.snapshot()
    let outcome: Outcome | Promise<Outcome>
    try {
      outcome = runAs(this, () => this.#runEvent(this, event))
    } catch (error) {
      outcome = { error: describeError(error) }
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => this.#finish(event, settled, snapshot),
        (error: unknown) => this.#finish(event, { error: describeError(error) }, snapshot),
      )
    } else {
      this.#finish(event, outcome, snapshot)
    }
  }

  #finish(event: EventEntry, outcome: Outcome, snapshot: Snapshot | null): void {
    // A handler that threw leaves no writes (writes made before the event started stay).
    if (outcome.error !== undefined) this.buffer.rollback(snapshot)
    // After an alarm the gateway clears it unless the handler set a new one.
    if (event.type === 'alarm') this.buffer.alarmCache = undefined
    const drained = this.buffer.drain()
    emitEventDone(event.eventId, outcome, drained)
    const held = this.#held
    this.#held = []
    for (const action of held) action()
    outcome.afterDone?.()
    this.#running = false
    this.lastActive = now()
    this.#pump()
  }
}
