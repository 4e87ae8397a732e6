import type { Logger } from 'pino'
import type { AppStorage } from '../storage/app-storage.js'
import { AlarmScheduler } from '../storage/alarm-scheduler.js'
import type { ObjectAddress } from './runner-protocol.js'
import type { EventDone } from './runner-process.js'
import type { EventRouter } from './event-router.js'
import type { RuntimeCounters } from './runtime-counters.js'
import { objectFields } from './socket-io.js'

export interface ObjectStorageOptions {
  appId: string
  site: () => string
  storage: AppStorage
  router: EventRouter
  counters: RuntimeCounters
  logger: Logger
  /** An alarm event ended with an error or a limit kill: log it. */
  outcome(entry: EventDone, object: ObjectAddress): void
}

/**
 * The gateway's half of Durable Object storage for one app: an event's writes, deleteAll
 * and alarm change committed in one transaction when its `event-done` arrives (before any
 * later entry is applied), the alarm scheduler kept in step, and alarms delivered as
 * `alarm` events through the object's queue.
 */
export class ObjectStorage {
  readonly #o: ObjectStorageOptions
  readonly #alarms: AlarmScheduler
  #closed = false

  constructor(options: ObjectStorageOptions) {
    this.#o = options
    this.#alarms = new AlarmScheduler((object, retryCount) => this.#fire(object, retryCount), {
      logger: options.logger,
      onGiveUp: (object) => this.#clearAlarm(object),
    })
  }

  /** Schedules the alarms stored by earlier runs. */
  start(): void {
    this.#alarms.load(this.#o.storage.pendingAlarms())
  }

  /** Commits an event's changes; returns an error message (writes dropped) when that failed. */
  commit(object: ObjectAddress, entry: EventDone): string | undefined {
    if (this.#closed) return 'app stopped before its writes were committed'
    try {
      this.#o.storage.commit(object, { writes: entry.writes, deleteAll: entry.deleteAll, alarm: entry.alarm })
      this.#o.counters.storageCommits++
    } catch (error) {
      this.#o.counters.storageErrors++
      this.#o.logger.warn({ site: this.#o.site(), ...objectFields(object), err: error }, 'storage commit failed: the event\'s writes were dropped')
      return `storage: ${error instanceof Error ? error.message : String(error)}`
    }
    if (entry.alarm !== undefined) this.#alarms.set(object, entry.alarm)
    return undefined
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#alarms.stop()
    this.#o.storage.close()
  }

  #fire(object: ObjectAddress, retryCount: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.#o.counters.alarmsFired++
      const queued = this.#o.router.toObject(object, {
        make: (eventId, version, sockets) => ({ type: 'alarm', eventId, appId: this.#o.appId, version, object, sockets, retryCount }),
        done: (entry) => {
          const ok = entry.error === undefined && entry.limit === undefined
          if (!ok) this.#o.outcome(entry, object)
          // Cloudflare deletes an alarm that ran successfully unless the handler set a new one.
          if (ok && entry.alarm === undefined && !this.#closed) {
            const stored = this.#o.storage.getAlarm(object)
            if (stored !== null && stored <= Date.now()) this.#clearAlarm(object)
          }
          resolve(ok)
        },
        lost: () => resolve(false),
      })
      if (!queued) resolve(false)
    })
  }

  #clearAlarm(object: ObjectAddress): void {
    if (this.#closed) return
    try {
      this.#o.storage.commit(object, { alarm: null })
    } catch (error) {
      this.#o.logger.warn({ site: this.#o.site(), ...objectFields(object), err: error }, 'could not clear an alarm')
    }
  }
}
