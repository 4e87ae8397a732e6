import { createHash, randomBytes } from 'node:crypto'

/** Hex SHA-256, used as the integrity evidence for every echoed or downloaded message. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Random bytes of exactly `size`; as text, printable ASCII led by a 3-byte "€" so a path
 * that mangles multibyte UTF-8 (RFC 6455 §5.6 requires valid UTF-8 in text frames) shows up.
 * Random rather than repeated so that reordered or duplicated chunks change the checksum.
 */
export function makePayload(size: number, kind: 'text' | 'binary'): Buffer {
  const data = randomBytes(size)
  if (kind === 'binary') return data
  for (let index = 0; index < size; index++) data[index] = 0x20 + (data[index]! % 95)
  if (size >= 3) data.set([0xe2, 0x82, 0xac], 0)
  return data
}

/** Compressible text (repeating words), for checking that permessage-deflate really round-trips. */
export function makeCompressibleText(size: number): Buffer {
  const words = 'wedge probe websocket compression check '
  return Buffer.from(words.repeat(Math.ceil(size / words.length)).slice(0, size))
}

/** "0 B", "125 B", "64 KiB", "16 MiB", "65537 B" — exact units only, so evidence stays exact. */
export function formatBytes(size: number): string {
  if (size >= 1024 ** 2 && size % 1024 ** 2 === 0) return `${size / 1024 ** 2} MiB`
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`
  return `${size} B`
}

/** "850 ms", "2.0 s", "1m05s": durations for evidence and tables. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes}m${String(seconds).padStart(2, '0')}s`
}

/** Nearest-rank percentile of already-sorted samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}
