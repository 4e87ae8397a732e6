/**
 * One instance's storage state in the runner: the uncommitted writes of the running event
 * (sent in its `event-done`, committed atomically by the gateway) and a cache of committed
 * values. The instance is the only writer of its storage, so the cache stays coherent.
 */
import type { StorageWrite } from '../../runtime/runner-protocol.js'

const MAX_CACHE_BYTES = 8 * 1024 * 1024

export interface Snapshot {
  writes: Map<string, Uint8Array | null>
  deleteAll: boolean
  alarm: number | null | undefined
}

export interface Drained {
  writes?: StorageWrite[]
  deleteAll?: boolean
  alarm?: number | null
}

const NOTHING_DRAINED: Drained = Object.freeze({})

export class StorageBuffer {
  /** key → V8-serialized value, or null for a delete; insertion order is the write order. */
  writes = new Map<string, Uint8Array | null>()
  deleteAll = false
  /** undefined = unchanged; null = delete; number = set. */
  alarm: number | null | undefined = undefined
  /** Committed values known to the runner: bytes, or null for a key known to be absent. */
  #cache = new Map<string, Uint8Array | null>()
  #cacheBytes = 0
  /** Committed alarm, when known. */
  alarmCache: number | null | undefined = undefined
  /** Bumped on every commit: an RPC answer from an older epoch must not fill the cache. */
  epoch = 0

  get pending(): boolean {
    return this.writes.size > 0 || this.deleteAll || this.alarm !== undefined
  }

  /** The value as the running event sees it: bytes, null (absent) or undefined (ask the gateway). */
  lookup(key: string): Uint8Array | null | undefined {
    const written = this.writes.get(key)
    if (written !== undefined) return written
    if (this.deleteAll) return null
    return this.#cache.get(key)
  }

  remember(key: string, value: Uint8Array | null, epoch: number): void {
    if (epoch !== this.epoch) return
    if (this.#cacheBytes > MAX_CACHE_BYTES) {
      this.#cache.clear()
      this.#cacheBytes = 0
    }
    this.#cache.set(key, value)
    this.#cacheBytes += key.length + (value?.length ?? 0)
  }

  snapshot(): Snapshot | null {
    if (!this.pending) return null
    return { writes: new Map(this.writes), deleteAll: this.deleteAll, alarm: this.alarm }
  }

  rollback(snapshot: Snapshot | null): void {
    this.writes = snapshot === null ? new Map() : snapshot.writes
    this.deleteAll = snapshot?.deleteAll ?? false
    this.alarm = snapshot?.alarm
  }

  /** Takes the pending writes for `event-done` and treats them as committed from now on. */
  drain(): Drained {
    if (!this.pending) {
      // Most events write nothing: no objects for them.
      this.epoch++
      return NOTHING_DRAINED
    }
    const drained: Drained = {}
    if (this.deleteAll) {
      drained.deleteAll = true
      this.#cache.clear()
      this.#cacheBytes = 0
    }
    if (this.writes.size > 0) {
      const writes: StorageWrite[] = []
      for (const [key, value] of this.writes) writes.push({ key, value })
      drained.writes = writes
    }
    if (this.alarm !== undefined) {
      drained.alarm = this.alarm
      this.alarmCache = this.alarm
    }
    this.epoch++
    for (const [key, value] of this.writes) this.remember(key, value, this.epoch)
    this.writes = new Map()
    this.deleteAll = false
    this.alarm = undefined
    return drained
  }
}
