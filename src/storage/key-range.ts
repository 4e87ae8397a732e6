import type { ListOptions } from './app-storage.js'
import { StorageError } from './storage-limits.js'

/** A list() request reduced to one byte range: start inclusive, end exclusive (null: none). */
export interface KeyRange {
  start: Buffer
  end: Buffer | null
  reverse: boolean
  /** null: no limit. */
  limit: number | null
}

const NUL = Buffer.from([0])

/**
 * Reduces list options to a UTF-8 byte range the way workerd does
 * (`DurableObjectStorageOperations::list` in src/workerd/api/actor-state.c++), so every
 * combination behaves as on Cloudflare. Returns null when the range is provably empty.
 * Pure: no storage, so a JetStream backend can reuse it.
 */
export function keyRange(options: ListOptions): KeyRange | null {
  const { prefix, start, startAfter, end, limit, reverse } = options
  if (start !== undefined && startAfter !== undefined) {
    throw new StorageError('STORAGE_BAD_ARGUMENT', 'list() cannot be called with both start and startAfter values.')
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new StorageError('STORAGE_BAD_ARGUMENT', 'List limit must be positive.')
  }
  // startAfter is exclusive: the first key after it is startAfter + "\0".
  let from = start !== undefined ? utf8(start) : startAfter !== undefined ? Buffer.concat([utf8(startAfter), NUL]) : Buffer.alloc(0)
  let to = end !== undefined ? utf8(end) : null

  if (prefix !== undefined && prefix.length > 0) {
    const bytes = utf8(prefix)
    if (Buffer.compare(from, bytes) < 0) from = bytes
    else if (!startsWith(from, bytes)) return null // start lies after every key with the prefix
    const afterPrefix = keyAfterPrefix(bytes)
    if (to === null) to = afterPrefix
    else if (Buffer.compare(to, bytes) <= 0) return null
    else if (!startsWith(to, bytes) && afterPrefix !== null) to = afterPrefix
  }
  if (to !== null && Buffer.compare(to, from) <= 0) return null
  return { start: from, end: to, reverse: reverse === true, limit: limit ?? null }
}

/** The smallest key greater than every key that starts with `prefix`, or null if none. */
function keyAfterPrefix(prefix: Buffer): Buffer | null {
  let length = prefix.length
  while (length > 0 && prefix[length - 1] === 0xff) length--
  if (length === 0) return null
  const after = Buffer.from(prefix.subarray(0, length))
  after[length - 1] += 1
  return after
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix)
}

function utf8(text: string): Buffer {
  if (typeof text !== 'string') throw new StorageError('STORAGE_BAD_ARGUMENT', 'list() bounds and prefix must be strings.')
  return Buffer.from(text, 'utf8')
}
