import { randomUUID } from 'node:crypto'
import { Agent, request } from 'undici'
import type { Logger } from '../log/logger.js'
import type { WebhookConfig } from '../config/schema.js'
import { VERSION } from '../version.js'
import { EventQueue } from './event-queue.js'
import { connectEvent, disconnectEvent, type ConnectInfo, type DisconnectInfo, type WebhookEvent } from './webhook-events.js'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js'

export type { ConnectInfo, DisconnectInfo }

/** Most events in one POST. */
export const MAX_BATCH = 100
/** Time stop() gives the queue to drain when not told otherwise. */
export const DEFAULT_STOP_DEADLINE_MS = 5000
/** Drops are logged at most this often, with the count since the last line. */
const DROP_LOG_INTERVAL_MS = 10_000

/** Counters of one sender, for the meter and the admin API. */
export interface WebhookStats {
  /** Events waiting, the batch being delivered included. */
  queued: number
  /** Events the receiver accepted (2xx). */
  delivered: number
  /** Events given up: max_attempts failed, a 4xx answer, or still undelivered when stop() ended. */
  failed: number
  /** Events dropped because the queue was full (the oldest go first). */
  dropped: number
  /** POSTs sent, retries included. */
  attempts: number
  /** POSTs that failed: network error, timeout or a non-2xx answer. */
  failedAttempts: number
}

export interface WebhookSenderOptions {
  logger?: Logger | undefined
  /** For log lines. */
  site?: string | undefined
  /** Random number in [0, 1) for the retry jitter (tests pin it). */
  random?: () => number
}

/** Outcome of one POST: delivered, worth retrying, or refused for good. */
type AttemptResult = { ok: true } | { ok: false; retry: boolean; detail: string }

/**
 * Delivers a site's connect and disconnect events to its webhook URL. The data path only
 * calls `connected` / `disconnected`, which build one small object and push it on a bounded
 * queue (O(1), no I/O, no await); delivery runs later on timers through its own undici Agent,
 * one batch in flight at a time, so a slow or dead receiver can only fill the queue (and then
 * lose the oldest events, counted), never delay a connection.
 */
export class WebhookSender {
  readonly #config: WebhookConfig
  readonly #logger: Logger | undefined
  readonly #site: string | undefined
  readonly #random: () => number
  readonly #queue: EventQueue<WebhookEvent>
  readonly #agent: Agent
  readonly #sendConnect: boolean
  readonly #sendDisconnect: boolean
  readonly #stopping = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #pumping: Promise<void> | undefined
  #inFlight = 0
  #stopped = false
  #stats = { delivered: 0, failed: 0, dropped: 0, attempts: 0, failedAttempts: 0 }
  #unloggedDrops = 0
  #lastDropLog = 0

  constructor(config: WebhookConfig, options: WebhookSenderOptions = {}) {
    this.#config = config
    this.#logger = options.logger
    this.#site = options.site
    this.#random = options.random ?? Math.random
    this.#queue = new EventQueue(config.max_queue)
    this.#sendConnect = config.events.includes('connect')
    this.#sendDisconnect = config.events.includes('disconnect')
    this.#agent = new Agent({ connections: 2, keepAliveTimeout: 10_000, connect: { timeout: config.timeout }, headersTimeout: config.timeout, bodyTimeout: config.timeout })
  }

  /** A WebSocket opened. O(1); never throws. */
  connected(info: ConnectInfo): void {
    if (this.#sendConnect) this.#enqueue(connectEvent(info, Date.now()))
  }

  /** A WebSocket closed. O(1); never throws. */
  disconnected(info: DisconnectInfo): void {
    if (this.#sendDisconnect) this.#enqueue(disconnectEvent(info, Date.now()))
  }

  stats(): WebhookStats {
    return { queued: this.#queue.size + this.#inFlight, ...this.#stats }
  }

  /**
   * Stops taking events and delivers what is queued, without retry waits past `deadlineMs`;
   * then aborts what is in flight and counts the rest as failed. Resolves when done.
   */
  async stop(deadlineMs = DEFAULT_STOP_DEADLINE_MS): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    const deadline = setTimeout(() => this.#stopping.abort(), deadlineMs)
    try {
      await (this.#pumping ?? this.#pump())
    } finally {
      clearTimeout(deadline)
      this.#stopping.abort()
      const left = this.#queue.take(this.#queue.size).length
      this.#stats.failed += left
      if (left > 0) this.#logger?.warn({ site: this.#site, url: this.#config.url, events: left }, 'webhook events left undelivered at stop')
      await this.#agent.destroy().catch(() => {})
    }
  }

  #enqueue(event: WebhookEvent): void {
    if (this.#stopped) {
      this.#stats.dropped++
      return
    }
    if (this.#queue.push(event)) this.#dropped()
    // Delivery starts on a later turn of the event loop: events of this turn go as one batch.
    if (this.#pumping === undefined && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        void this.#pump()
      }, 0)
      this.#timer.unref()
    }
  }

  #dropped(): void {
    this.#stats.dropped++
    this.#unloggedDrops++
    const now = Date.now()
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return
    this.#lastDropLog = now
    this.#logger?.warn({ site: this.#site, url: this.#config.url, dropped: this.#unloggedDrops, max_queue: this.#config.max_queue }, 'webhook queue full: oldest events dropped')
    this.#unloggedDrops = 0
  }

  /** Sends batches until the queue is empty; one runs at a time. */
  #pump(): Promise<void> {
    this.#pumping ??= (async () => {
      try {
        while (this.#queue.size > 0 && !this.#stopping.signal.aborted) {
          const batch = this.#queue.take(MAX_BATCH)
          this.#inFlight = batch.length
          try {
            await this.#deliver(batch)
          } finally {
            this.#inFlight = 0
          }
        }
      } finally {
        this.#pumping = undefined
      }
    })()
    return this.#pumping
  }

  /** One batch, with up to max_attempts POSTs and exponential backoff between them. */
  async #deliver(batch: WebhookEvent[]): Promise<void> {
    const body = JSON.stringify({ events: batch })
    const delivery = randomUUID()
    let last: AttemptResult = { ok: false, retry: false, detail: 'not sent' }
    for (let attempt = 1; attempt <= this.#config.max_attempts; attempt++) {
      if (attempt > 1) {
        const waited = await sleep(retryDelay(attempt - 1, this.#config.retry_delay, this.#random()), this.#stopping.signal)
        if (!waited) break
      }
      last = await this.#post(body, delivery, attempt)
      if (last.ok) {
        this.#stats.delivered += batch.length
        return
      }
      this.#stats.failedAttempts++
      this.#logger?.debug({ site: this.#site, url: this.#config.url, attempt, detail: last.detail }, 'webhook delivery attempt failed')
      if (!last.retry || this.#stopping.signal.aborted) break
    }
    this.#stats.failed += batch.length
    this.#logger?.warn({ site: this.#site, url: this.#config.url, events: batch.length, detail: last.ok ? '' : last.detail }, 'webhook delivery failed: events given up')
  }

  async #post(body: string, delivery: string, attempt: number): Promise<AttemptResult> {
    this.#stats.attempts++
    const timestamp = String(Math.floor(Date.now() / 1000))
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `wedge/${VERSION}`,
      'x-wedge-delivery': delivery,
      'x-wedge-attempt': String(attempt),
      [TIMESTAMP_HEADER]: timestamp,
    }
    if (this.#config.secret !== undefined) headers[SIGNATURE_HEADER] = webhookSignature(this.#config.secret, timestamp, body)
    const signal = AbortSignal.any([AbortSignal.timeout(this.#config.timeout), this.#stopping.signal])
    try {
      const response = await request(this.#config.url, { method: 'POST', headers, body, dispatcher: this.#agent, signal })
      await response.body.dump()
      const status = response.statusCode
      if (status >= 200 && status < 300) return { ok: true }
      // 4xx means the receiver refuses this request as such; 408 and 429 are worth a retry.
      return { ok: false, retry: status >= 500 || status === 408 || status === 429, detail: `HTTP ${status}` }
    } catch (error) {
      const cause = error as NodeJS.ErrnoException
      return { ok: false, retry: true, detail: cause.name === 'TimeoutError' ? `timeout after ${this.#config.timeout} ms` : `${cause.code ?? cause.name}: ${cause.message}` }
    }
  }
}

/**
 * Wait before retry `retry` (1 = first retry): base × 2^(retry-1), ±25 % jitter so that the
 * edges of a fleet do not retry in step after a receiver outage.
 */
export function retryDelay(retry: number, baseMs: number, random: number): number {
  return Math.round(baseMs * 2 ** (retry - 1) * (0.75 + random * 0.5))
}

/** Resolves true after `ms`, or false at once when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort)
      resolve(true)
    }, ms)
    // Waiting to retry is no reason to keep the process alive.
    timer.unref()
    const abort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', abort, { once: true })
  })
}
