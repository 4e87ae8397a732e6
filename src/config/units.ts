import { z } from 'zod'
import { nameType } from './type-names.js'

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

/** 30000 → "30s", 1500 → "1500ms", 0 → "0": the shortest exact spelling, for docs and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0'
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`
  }
  return `${ms}ms`
}

/** 65536 → "64KiB", 1000 → "1KB", 100 → "100B": the shortest exact spelling. */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0'
  for (const unit of ['GiB', 'MiB', 'KiB', 'GB', 'MB', 'KB'] as const) {
    const factor = SIZE_UNITS[unit.toLowerCase() as keyof typeof SIZE_UNITS]
    if (bytes % factor === 0) return `${bytes / factor}${unit}`
  }
  return `${bytes}B`
}

const DURATION_EXPECTED = 'expected a duration such as "30s", "500ms" or a number of milliseconds'
const SIZE_EXPECTED = 'expected a size such as "64KiB", "16MiB" or a number of bytes'

/** A duration in the config: a string with a unit or a number of milliseconds; resolves to ms. */
export const duration = nameType(z
  .union([z.number(), z.string()], { error: DURATION_EXPECTED })
  .transform((value, ctx) => {
    const ms = parseDuration(value)
    if (!Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({ code: 'custom', message: DURATION_EXPECTED, input: value })
      return z.NEVER
    }
    return ms
  }), { name: 'duration', format: (value) => formatDuration(value as number) })

/** A size in the config: a string with a unit or a number of bytes; resolves to bytes. */
export const size = nameType(z
  .union([z.number(), z.string()], { error: SIZE_EXPECTED })
  .transform((value, ctx) => {
    const bytes = parseSize(value)
    if (!Number.isFinite(bytes) || bytes < 0) {
      ctx.addIssue({ code: 'custom', message: SIZE_EXPECTED, input: value })
      return z.NEVER
    }
    return bytes
  }), { name: 'size', format: (value) => formatSize(value as number) })

/** "host:port", ":port" or "port"; host defaults to 127.0.0.1. IPv6 as "[::1]:8080". */
export const listenAddress = nameType(z
  .union([z.string(), z.number()], { error: 'expected "host:port"' })
  .transform((value, ctx) => {
    const checked = checkListen(String(value))
    if ('problem' in checked) {
      ctx.addIssue({ code: 'custom', message: checked.problem, input: value })
      return z.NEVER
    }
    return checked
  }), { name: '"host:port"', format: (value) => formatListen(value as ListenAddress) })

export interface ListenAddress {
  host: string
  port: number
}

/** Parses "host:port", ":port", "port" or "[v6]:port"; undefined when invalid. */
export function parseListen(text: string): ListenAddress | undefined {
  const checked = checkListen(text)
  return 'problem' in checked ? undefined : checked
}

/** "127.0.0.1:8080", "[::1]:8443": the inverse of parseListen. */
export function formatListen(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

function checkListen(text: string): ListenAddress | { problem: string } {
  // The host part, when present, must end in ":" so that "8080" is a port and not host "808" + port "0".
  const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d+)$/.exec(text.trim())
  if (!match) {
    const hint = (text.match(/:/g)?.length ?? 0) > 1 && !text.includes('[') ? ' (write IPv6 hosts in brackets: "[::1]:8080")' : ''
    return { problem: `expected "host:port", ":port" or a port number${hint}` }
  }
  const port = Number(match[3])
  if (port > 65535) return { problem: `port ${port} is out of range: expected "host:port" with a port from 0 to 65535` }
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port }
}
