import { z } from 'zod'

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const SIZE_UNITS = {
  b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
} as const

/** Parses "250ms", "30s", "5m", "1h", "2d", or a number of milliseconds. Returns NaN when invalid. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(value)
  if (!match) return Number.NaN
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase() as keyof typeof DURATION_UNITS])
}

/** Parses "64KiB", "16MiB", "1MB", "512B" (case-insensitive), or a number of bytes. Returns NaN when invalid. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') return value
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$/i.exec(value)
  if (!match) return Number.NaN
  const unit = (match[2] ?? 'b').toLowerCase() as keyof typeof SIZE_UNITS
  return Math.round(Number(match[1]) * SIZE_UNITS[unit])
}

/** A duration in the config: a string with a unit or a number of milliseconds; resolves to ms. */
export const duration = z
  .union([z.number(), z.string()], { error: 'expected a duration such as "30s", "500ms" or a number of milliseconds' })
  .transform((value, ctx) => {
    const ms = parseDuration(value)
    if (!Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "500ms" or a number of milliseconds, got ${JSON.stringify(value)}` })
      return z.NEVER
    }
    return ms
  })

/** A size in the config: a string with a unit or a number of bytes; resolves to bytes. */
export const size = z
  .union([z.number(), z.string()], { error: 'expected a size such as "64KiB", "16MiB" or a number of bytes' })
  .transform((value, ctx) => {
    const bytes = parseSize(value)
    if (!Number.isFinite(bytes) || bytes < 0) {
      ctx.addIssue({ code: 'custom', message: `expected a size such as "64KiB", "16MiB" or a number of bytes, got ${JSON.stringify(value)}` })
      return z.NEVER
    }
    return bytes
  })

/** "host:port", ":port" or "port"; host defaults to 127.0.0.1. IPv6 as "[::1]:8080". */
export const listenAddress = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = parseListen(String(value))
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `expected "host:port" (port 0-65535), got ${JSON.stringify(value)}` })
    return z.NEVER
  }
  return parsed
})

export interface ListenAddress {
  host: string
  port: number
}

export function parseListen(text: string): ListenAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(text.trim())
  if (!match) return undefined
  const port = Number(match[3])
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port }
}
