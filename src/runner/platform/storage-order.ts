/** Key order and list ranges of Durable Object storage: UTF-8 byte order, like the gateway's SQLite. */

export interface ListOptions {
  prefix?: string
  start?: string
  startAfter?: string
  end?: string
  limit?: number
  reverse?: boolean
}

/**
 * Compares strings by UTF-8 bytes, which is code point order. UTF-16 order differs only
 * when a surrogate meets a code unit in U+E000..U+FFFF, so those are remapped.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800
    return x - y
  }
  return a.length - b.length
}

export function inRange(key: string, options: ListOptions): boolean {
  if (options.prefix !== undefined && !key.startsWith(options.prefix)) return false
  if (options.start !== undefined && compareKeys(key, options.start) < 0) return false
  if (options.startAfter !== undefined && compareKeys(key, options.startAfter) <= 0) return false
  if (options.end !== undefined && compareKeys(key, options.end) >= 0) return false
  return true
}

/** Validates list() options as Workers does and returns a clean copy. */
export function listOptions(raw: unknown): ListOptions {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object') throw new TypeError('list() options must be an object')
  const input = raw as Record<string, unknown>
  const options: ListOptions = {}
  for (const name of ['prefix', 'start', 'startAfter', 'end'] as const) {
    if (input[name] !== undefined) {
      if (typeof input[name] !== 'string') throw new TypeError(`list() option ${name} must be a string`)
      options[name] = input[name] as string
    }
  }
  if (options.start !== undefined && options.startAfter !== undefined) throw new TypeError('list(): start and startAfter are mutually exclusive')
  if (input.limit !== undefined) {
    const limit = Number(input.limit)
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError('list() limit must be a positive integer')
    options.limit = limit
  }
  if (input.reverse !== undefined) options.reverse = Boolean(input.reverse)
  return options
}
