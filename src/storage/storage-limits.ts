/**
 * Cloudflare's limits for the key-value storage backend (developers.cloudflare.com
 * durable-objects/platform/limits): keys up to 2 KiB, values up to 128 KiB. The value limit
 * applies to the V8-serialized bytes, and Workers accepts 32 bytes more than advertised to
 * cover the serialization header (miniflare's storage.ts `ENFORCED_MAX_VALUE_SIZE`), so a
 * 128 KiB Uint8Array can be stored.
 */
export const STORAGE_LIMITS = {
  maxKeyBytes: 2048,
  maxValueBytes: 128 * 1024 + 32,
} as const

export type StorageErrorCode = 'STORAGE_KEY_TOO_LARGE' | 'STORAGE_VALUE_TOO_LARGE' | 'STORAGE_BAD_ARGUMENT'

/**
 * A storage call the app could have avoided (too large, bad options). The gateway turns it
 * into the event's error; it never means the database is broken.
 */
export class StorageError extends Error {
  readonly code: StorageErrorCode

  constructor(code: StorageErrorCode, message: string) {
    super(message)
    this.name = 'StorageError'
    this.code = code
  }
}

/** The key as UTF-8 bytes (its storage and sort form), checked against the key limit. */
export function encodeKey(key: string): Buffer {
  if (typeof key !== 'string') throw new StorageError('STORAGE_BAD_ARGUMENT', `Keys must be strings, got ${typeof key}.`)
  const bytes = Buffer.from(key, 'utf8')
  if (bytes.length > STORAGE_LIMITS.maxKeyBytes) {
    throw new StorageError('STORAGE_KEY_TOO_LARGE',
      `Keys cannot be larger than ${STORAGE_LIMITS.maxKeyBytes} bytes. A key of size ${bytes.length} was provided.`)
  }
  return bytes
}

/** Throws unless `value` is bytes within the value limit. */
export function checkValue(value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) throw new StorageError('STORAGE_BAD_ARGUMENT', 'Values must be serialized bytes (Uint8Array).')
  if (value.byteLength > STORAGE_LIMITS.maxValueBytes) {
    throw new StorageError('STORAGE_VALUE_TOO_LARGE',
      `Values cannot be larger than ${STORAGE_LIMITS.maxValueBytes} bytes. A value of size ${value.byteLength} was provided.`)
  }
}

/** Throws unless `time` can be an alarm time (epoch ms); returns it as whole ms. */
export function checkAlarmTime(time: number): number {
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new StorageError('STORAGE_BAD_ARGUMENT', `An alarm time must be a finite number of epoch ms, got ${String(time)}.`)
  }
  return Math.floor(time)
}
