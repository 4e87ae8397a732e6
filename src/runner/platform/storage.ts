/**
 * DurableObjectStorage (Workers' key-value API). Reads see the event's own writes, then the
 * runner's cache, then the gateway (`storage-get` / `storage-list` RPCs). Writes are buffered
 * and leave with the event's `event-done`, so an event's writes are atomic; a handler that
 * throws leaves no writes. Values are V8-serialized by the runner at put() time.
 */
import { host, rpc, type Owner } from './host-link.js'
import type { StorageBuffer } from './storage-buffer.js'
import { compareKeys, inRange, listOptions, type ListOptions } from './storage-order.js'
import { utf8Encode } from './bytes.js'
import type { ObjectAddress } from '../../runtime/runner-protocol.js'

const MAX_KEY_BYTES = 2048
const MAX_VALUE_BYTES = 2 * 1024 * 1024
const MAX_KEYS_PER_CALL = 128

/** What storage needs from its instance. */
export interface StorageOwner extends Owner {
  readonly address: ObjectAddress
  readonly buffer: StorageBuffer
  readonly evicted: boolean
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError('Storage keys must be strings')
  if (key.length * 3 > MAX_KEY_BYTES && utf8Encode(key).length > MAX_KEY_BYTES) throw new RangeError(`Keys cannot be larger than ${MAX_KEY_BYTES} bytes`)
  return key
}

function checkKeys(keys: unknown[]): string[] {
  if (keys.length > MAX_KEYS_PER_CALL) throw new RangeError(`A single call can handle at most ${MAX_KEYS_PER_CALL} keys`)
  return keys.map(checkKey)
}

/** Turns synchronous throws into rejections, like the Workers storage API. */
function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(error)
  }
}

export class DurableObjectStorage {
  #owner: StorageOwner

  constructor(owner: StorageOwner) {
    this.#owner = owner
  }

  #buffer(): StorageBuffer {
    if (this.#owner.evicted) throw new Error('This Durable Object instance was evicted; its storage is no longer usable')
    return this.#owner.buffer
  }

  /** Values for keys the runner does not know yet, fetched in one RPC and cached. */
  async #fetch(keys: string[]): Promise<Map<string, Uint8Array | null>> {
    const buffer = this.#buffer()
    const known = new Map<string, Uint8Array | null>()
    const missing: string[] = []
    for (const key of keys) {
      const value = buffer.lookup(key)
      if (value === undefined) missing.push(key)
      else known.set(key, value)
    }
    if (missing.length > 0) {
      const epoch = buffer.epoch
      const found = (await rpc({ op: 'storage-get', object: this.#owner.address, keys: missing }, this.#owner)) as Map<string, Uint8Array>
      for (const key of missing) {
        const value = found.get(key) ?? null
        buffer.remember(key, value, epoch)
        known.set(key, value)
      }
    }
    return known
  }

  get(keyOrKeys: unknown, _options?: unknown): Promise<unknown> {
    return attempt(async () => {
      if (Array.isArray(keyOrKeys)) {
        const keys = checkKeys(keyOrKeys)
        const values = await this.#fetch(keys)
        const present = [...values].filter((entry): entry is [string, Uint8Array] => entry[1] !== null)
        present.sort((a, b) => compareKeys(a[0], b[0]))
        const decoded = host<unknown[]>('deserialize-many', present.map(([, bytes]) => bytes))
        return new Map(present.map(([key], i) => [key, decoded[i]]))
      }
      const key = checkKey(keyOrKeys)
      const bytes = this.#buffer().lookup(key)
      const value = bytes !== undefined ? bytes : (await this.#fetch([key])).get(key)!
      return value === null ? undefined : host('deserialize', value)
    })
  }

  put(keyOrEntries: unknown, value?: unknown, _options?: unknown): Promise<void> {
    return attempt(() => {
      const entries: [string, unknown][] = typeof keyOrEntries === 'string'
        ? [[keyOrEntries, value]]
        : keyOrEntries !== null && typeof keyOrEntries === 'object' ? Object.entries(keyOrEntries) : [[checkKey(keyOrEntries), value]]
      checkKeys(entries.map(([key]) => key))
      if (typeof keyOrEntries === 'string' && arguments.length < 2) throw new TypeError('put() needs a value')
      // Serialize everything first: a failing value leaves no partial write.
      const serialized = entries.map(([key, item]) => {
        const bytes = host<Uint8Array>('serialize', item)
        if (bytes.length > MAX_VALUE_BYTES) throw new RangeError(`Values cannot be larger than ${MAX_VALUE_BYTES} bytes`)
        return [key, bytes] as const
      })
      const buffer = this.#buffer()
      for (const [key, bytes] of serialized) buffer.writes.set(key, bytes)
    })
  }

  delete(keyOrKeys: unknown, _options?: unknown): Promise<boolean | number> {
    return attempt(async () => {
      const many = Array.isArray(keyOrKeys)
      const keys = many ? checkKeys(keyOrKeys as unknown[]) : [checkKey(keyOrKeys)]
      const buffer = this.#buffer()
      // Existence is judged on the state before this delete; the delete itself is ordered now.
      const before = keys.map((key) => buffer.lookup(key))
      for (const key of keys) buffer.writes.set(key, null)
      const unknown = keys.filter((_, i) => before[i] === undefined)
      let fetched = new Map<string, Uint8Array>()
      if (unknown.length > 0) {
        fetched = (await rpc({ op: 'storage-get', object: this.#owner.address, keys: unknown }, this.#owner)) as Map<string, Uint8Array>
      }
      const existed = keys.filter((key, i) => (before[i] === undefined ? fetched.has(key) : before[i] !== null)).length
      return many ? existed : existed === 1
    })
  }

  deleteAll(_options?: unknown): Promise<void> {
    return attempt(() => {
      const buffer = this.#buffer()
      buffer.deleteAll = true
      buffer.writes.clear()
    })
  }

  list(rawOptions?: unknown): Promise<Map<string, unknown>> {
    return attempt(async () => {
      const options = listOptions(rawOptions)
      const buffer = this.#buffer()
      const local = [...buffer.writes].filter(([key]) => inRange(key, options))
      const deletes = local.filter(([, value]) => value === null).length
      let committed = new Map<string, Uint8Array>()
      if (!buffer.deleteAll) {
        const asked: ListOptions = { ...options }
        // Ask for enough extra rows to make up for keys this event deleted.
        if (asked.limit !== undefined) asked.limit += deletes
        const epoch = buffer.epoch
        committed = (await rpc({ op: 'storage-list', object: this.#owner.address, options: asked }, this.#owner)) as Map<string, Uint8Array>
        for (const [key, bytes] of committed) buffer.remember(key, bytes, epoch)
      }
      const merged = new Map<string, Uint8Array>(committed)
      // Re-read the buffer: writes made while the RPC was in flight are part of this view.
      for (const [key, value] of buffer.writes) {
        if (!inRange(key, options)) continue
        if (value === null) merged.delete(key)
        else merged.set(key, value)
      }
      const keys = [...merged.keys()].sort(compareKeys)
      if (options.reverse) keys.reverse()
      const chosen = options.limit === undefined ? keys : keys.slice(0, options.limit)
      const decoded = host<unknown[]>('deserialize-many', chosen.map((key) => merged.get(key)!))
      return new Map(chosen.map((key, i) => [key, decoded[i]]))
    })
  }

  getAlarm(_options?: unknown): Promise<number | null> {
    return attempt(async () => {
      const buffer = this.#buffer()
      if (buffer.alarm !== undefined) return buffer.alarm
      if (buffer.alarmCache !== undefined) return buffer.alarmCache
      const epoch = buffer.epoch
      const time = (await rpc({ op: 'storage-get-alarm', object: this.#owner.address }, this.#owner)) as number | null
      if (epoch === buffer.epoch) buffer.alarmCache = time
      return buffer.alarm !== undefined ? buffer.alarm : time
    })
  }

  setAlarm(time: unknown, _options?: unknown): Promise<void> {
    return attempt(() => {
      const ms = time instanceof Date ? time.getTime() : Number(time)
      if (!Number.isFinite(ms)) throw new TypeError('setAlarm() needs a Date or epoch milliseconds')
      this.#buffer().alarm = Math.floor(ms)
    })
  }

  deleteAlarm(_options?: unknown): Promise<void> {
    return attempt(() => {
      this.#buffer().alarm = null
    })
  }

  /** Runs fn with this storage; the event is already atomic, so only fn's own writes roll back on throw. */
  async transaction<T>(fn: (txn: DurableObjectTransaction) => Promise<T> | T): Promise<T> {
    const buffer = this.#buffer()
    const snapshot = buffer.snapshot()
    const txn = new DurableObjectTransaction(this.#owner)
    try {
      return await fn(txn)
    } catch (error) {
      buffer.rollback(snapshot)
      throw error
    } finally {
      if (txn.rolledBack) buffer.rollback(snapshot)
    }
  }

  /** Writes are committed with the event's `event-done`; there is nothing to wait for here. */
  sync(): Promise<void> {
    return Promise.resolve()
  }
}

export class DurableObjectTransaction extends DurableObjectStorage {
  rolledBack = false
  rollback(): void {
    this.rolledBack = true
  }
}
