import type { Logger } from '../log/logger.js'
import type { ObjectAddress } from '../runtime/runner-protocol.js'
import { DueQueue } from './due-queue.js'

/**
 * Cloudflare's retry policy for a failed alarm() (developers.cloudflare.com
 * durable-objects/api/alarms): exponential backoff starting at 2 s, up to 6 retries.
 */
export const ALARM_RETRY = {
  firstDelayMs: 2_000,
  maxRetries: 6,
} as const

/** Node clamps longer timeouts to 1 ms (TimeoutOverflowWarning); far alarms re-arm instead. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1

/** Delay before retry number `retryCount` (1-based): 2 s, 4 s, 8 s, … */
export function alarmRetryDelayMs(retryCount: number, firstDelayMs: number = ALARM_RETRY.firstDelayMs): number {
  return firstDelayMs * 2 ** (retryCount - 1)
}

export type FireAlarm = (object: ObjectAddress, retryCount: number) => Promise<boolean>

export interface AlarmSchedulerOptions {
  logger?: Pick<Logger, 'warn' | 'error'>
  /** Called when an alarm failed its last retry, so the caller can delete it from storage. */
  onGiveUp?: (object: ObjectAddress) => void
  /** For tests; Cloudflare's values by default. */
  retryFirstDelayMs?: number
  maxRetries?: number
}

interface Scheduled {
  object: ObjectAddress
  time: number
  retryCount: number
  version: number
}

/** An alarm being run; `next` records a set() made meanwhile (undefined: none). */
interface InFlight {
  next: { object: ObjectAddress; time: number | null } | undefined
}

/**
 * Runs each object's alarm at its time with ONE timer, armed for the earliest alarm of all
 * objects. Independent of storage: the gateway persists alarms with `storage.commit` and
 * mirrors each change here with `set`.
 *
 * An object's alarm never runs twice at once. A `set` made while it runs (setAlarm or
 * deleteAlarm in the handler, committed by the gateway) takes effect when the run ends and
 * replaces any retry. A run that resolves false or throws is retried with `retryCount`
 * 1, 2, … after 2 s, 4 s, … and dropped after the last retry (logged, `onGiveUp` called).
 * Retry counts live in memory: after a restart, `load` starts them again at 0.
 */
export class AlarmScheduler {
  readonly #fire: FireAlarm
  readonly #logger: Pick<Logger, 'warn' | 'error'> | undefined
  readonly #onGiveUp: ((object: ObjectAddress) => void) | undefined
  readonly #firstDelayMs: number
  readonly #maxRetries: number
  readonly #scheduled = new Map<string, Scheduled>()
  readonly #running = new Map<string, InFlight>()
  readonly #queue = new DueQueue()
  #version = 0
  #timer: NodeJS.Timeout | undefined
  #timerAt = Infinity
  #stopped = false

  constructor(fire: FireAlarm, options: AlarmSchedulerOptions = {}) {
    this.#fire = fire
    this.#logger = options.logger
    this.#onGiveUp = options.onGiveUp
    this.#firstDelayMs = options.retryFirstDelayMs ?? ALARM_RETRY.firstDelayMs
    this.#maxRetries = options.maxRetries ?? ALARM_RETRY.maxRetries
  }

  /** Objects with an alarm waiting or running. */
  get size(): number {
    return this.#scheduled.size + this.#running.size
  }

  /** Sets (replacing) or, with null, cancels the object's alarm. A past time fires at once. */
  set(object: ObjectAddress, time: number | null): void {
    if (this.#stopped) return
    const key = keyOf(object)
    const inFlight = this.#running.get(key)
    if (inFlight !== undefined) {
      inFlight.next = { object, time }
      return
    }
    if (time === null) {
      this.#scheduled.delete(key)
      this.#arm()
    } else {
      this.#schedule(object, time, 0)
    }
  }

  /** Schedules alarms read from storage at start; past ones fire at once. */
  load(pending: { object: ObjectAddress; time: number }[]): void {
    for (const { object, time } of pending) this.set(object, time)
  }

  /** Cancels every alarm and ignores the outcome of runs in progress. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#scheduled.clear()
    this.#running.clear()
    this.#queue.reset([])
  }

  #schedule(object: ObjectAddress, time: number, retryCount: number): void {
    const key = keyOf(object)
    const version = ++this.#version
    this.#scheduled.set(key, { object, time, retryCount, version })
    this.#queue.push({ time, key, version })
    // Replaced entries stay in the heap until they reach the top; bound how many pile up.
    if (this.#queue.length > 2 * this.#scheduled.size + 64) {
      this.#queue.reset([...this.#scheduled].map(([key, entry]) => ({ time: entry.time, key, version: entry.version })))
    }
    this.#arm()
  }

  /** The current entry at the top of the queue, after dropping stale ones. */
  #head(): Scheduled | undefined {
    for (let item = this.#queue.peek(); item !== undefined; item = this.#queue.peek()) {
      const entry = this.#scheduled.get(item.key)
      if (entry !== undefined && entry.version === item.version) return entry
      this.#queue.pop()
    }
    return undefined
  }

  #arm(): void {
    const head = this.#head()
    if (head === undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#timerAt = Infinity
      return
    }
    if (this.#timer !== undefined && this.#timerAt === head.time) return
    clearTimeout(this.#timer)
    const delay = Math.min(Math.max(head.time - Date.now(), 0), MAX_TIMER_DELAY_MS)
    this.#timerAt = head.time
    this.#timer = setTimeout(() => this.#onTimer(), delay).unref()
  }

  #onTimer(): void {
    this.#timer = undefined
    this.#timerAt = Infinity
    // Timers may wake a millisecond early by the wall clock: only what is due now runs.
    const now = Date.now()
    for (let head = this.#head(); head !== undefined && head.time <= now; head = this.#head()) {
      this.#queue.pop()
      this.#scheduled.delete(keyOf(head.object))
      this.#run(head)
    }
    this.#arm()
  }

  #run(entry: Scheduled): void {
    const key = keyOf(entry.object)
    const inFlight: InFlight = { next: undefined }
    this.#running.set(key, inFlight)
    Promise.resolve()
      .then(() => this.#fire(entry.object, entry.retryCount))
      .then((ok) => ({ ok: ok === true, error: undefined as unknown }), (error: unknown) => ({ ok: false, error }))
      .then(({ ok, error }) => {
        if (this.#running.get(key) !== inFlight) return // stopped meanwhile
        this.#running.delete(key)
        this.#settle(entry, inFlight, ok, error)
      })
      .catch((err: unknown) => this.#logger?.error({ err }, 'alarm scheduler: onGiveUp or logger threw'))
  }

  #settle(entry: Scheduled, inFlight: InFlight, ok: boolean, error: unknown): void {
    const { object, retryCount } = entry
    if (inFlight.next !== undefined) {
      // The handler (or another event) set or deleted the alarm while it ran: that wins.
      if (inFlight.next.time === null) this.#arm()
      else this.#schedule(inFlight.next.object, inFlight.next.time, 0)
      return
    }
    if (ok) return
    const alarm = { className: object.className, objectId: object.objectId, name: object.name }
    const err = error instanceof Error ? error : error === undefined ? undefined : new Error(String(error))
    if (retryCount >= this.#maxRetries) {
      this.#logger?.error({ alarm, retryCount, err }, `alarm failed after ${retryCount} retries; giving up`)
      this.#onGiveUp?.(object)
      return
    }
    const delay = alarmRetryDelayMs(retryCount + 1, this.#firstDelayMs)
    this.#logger?.warn({ alarm, retryCount, err }, `alarm failed; retrying in ${delay} ms`)
    this.#schedule(object, Date.now() + delay, retryCount + 1)
  }
}

/** Class export names are identifiers, so a newline cannot occur in them. */
function keyOf(object: ObjectAddress): string {
  return `${object.className}\n${object.objectId}`
}
