import type { ObjectAddress, StorageWrite } from '../runtime/runner-protocol.js'

export type { ObjectAddress, StorageWrite }

/**
 * Options of `list()`, with Cloudflare's meaning (workerd `DurableObjectStorageOperations::list`):
 * keys are compared as UTF-8 bytes; `start` is inclusive, `startAfter` exclusive (not both),
 * `end` exclusive, `prefix` narrows the range further, `limit` (a positive integer) caps the
 * count, and `reverse` walks the same range from its end without changing what the bounds mean.
 */
export interface ListOptions {
  prefix?: string
  start?: string
  startAfter?: string
  end?: string
  limit?: number
  reverse?: boolean
}

/** What one event changed; `commit` applies it all or nothing. */
export interface StorageChange {
  /** Applied in order after `deleteAll`; a null value deletes the key. */
  writes?: StorageWrite[]
  /**
   * Deletes every key of the object before `writes` are applied. It does not touch the alarm:
   * Cloudflare's deleteAll() leaves the alarm for compatibility dates before 2026-02-24 and
   * deletes it from then on (changelog 2026-02-24), so the caller decides by sending
   * `alarm: null` with it.
   */
  deleteAll?: boolean
  /** undefined = unchanged; null = delete the alarm; number = set it (epoch ms). */
  alarm?: number | null
}

/**
 * Durable Object storage of one app: key → V8-serialized value per object, plus at most one
 * alarm per object. Synchronous: the gateway calls it between events of an object, and the
 * SQLite implementation answers in microseconds.
 */
export interface AppStorage {
  /** Values of the keys that exist, in UTF-8 key order; missing keys are absent. */
  get(object: ObjectAddress, keys: string[]): Map<string, Uint8Array>
  /** Entries in UTF-8 key order (descending with `reverse`). Throws StorageError on bad options. */
  list(object: ObjectAddress, options: ListOptions): Map<string, Uint8Array>
  /**
   * Atomic: all writes, deleteAll and the alarm change in one transaction. Throws
   * StorageError (and writes nothing) when a key or value exceeds STORAGE_LIMITS.
   */
  commit(object: ObjectAddress, change: StorageChange): void
  /** The object's alarm time (epoch ms), or null. */
  getAlarm(object: ObjectAddress): number | null
  /** Every object with an alarm, earliest first, for the scheduler at start. */
  pendingAlarms(): { object: ObjectAddress; time: number }[]
  close(): void
}

export { openSqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js'
export { StorageError, STORAGE_LIMITS } from './storage-limits.js'
