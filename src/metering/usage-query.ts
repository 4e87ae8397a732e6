/** Bucket sizes of a usage query; buckets are aligned to UTC (a day is a UTC day). */
export const STEP_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const
export type UsageStep = keyof typeof STEP_MS

/** How far back `from` goes when omitted, per step. */
export const DEFAULT_SPAN_MS = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 } as const satisfies Record<UsageStep, number>

/** Most buckets one query may span (a 31-day month of minutes fits). */
export const MAX_BUCKETS = 44_640

/** A validated usage query: the minutes that start in [from, to) (epoch ms), summed per `step`. */
export interface UsageQuery {
  /** One site, or every site when undefined. */
  site?: string
  from: number
  to: number
  step: UsageStep
}

/** A bad query parameter: the admin API answers it with 400 and this message. */
export class UsageQueryError extends Error {
  readonly status = 400
  constructor(message: string, readonly parameter: string) {
    super(message)
    this.name = 'UsageQueryError'
  }
}

const PARAMETERS = ['site', 'from', 'to', 'step'] as const
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const
const EPOCH_MS = /^\d{1,15}$/
const RELATIVE = /^-(\d{1,9})([smhdw])$/
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i
const TIME_FORMS = 'an ISO 8601 time ("2025-01-31T12:00:00Z"; no offset means UTC), epoch milliseconds, "now", or a relative time ("-90m", "-1h", "-7d")'

/**
 * Parses `GET /api/usage` parameters: `site` (omitted or empty: every site), `from` and `to`
 * (see `parseUsageTime`; defaults: to = now, from = to minus 1 h / 24 h / 30 d by step) and
 * `step` (minute, hour or day; default minute). Throws UsageQueryError naming the parameter.
 */
export function parseUsageQuery(params: URLSearchParams, now = Date.now()): UsageQuery {
  for (const name of new Set(params.keys())) {
    if (!(PARAMETERS as readonly string[]).includes(name)) throw new UsageQueryError(`unknown parameter ${JSON.stringify(name)} (expected ${PARAMETERS.join(', ')})`, name)
    if (params.getAll(name).length > 1) throw new UsageQueryError(`parameter ${name} given ${params.getAll(name).length} times`, name)
  }
  return usageQuery({ site: params.get('site') ?? undefined, from: params.get('from') ?? undefined, to: params.get('to') ?? undefined, step: params.get('step') ?? undefined }, now)
}

/** The same validation for values from elsewhere (the CLI's options). */
export function usageQuery(values: { site?: string; from?: string; to?: string; step?: string }, now = Date.now()): UsageQuery {
  const step = values.step === undefined || values.step === '' ? 'minute' : values.step
  if (!Object.hasOwn(STEP_MS, step)) throw new UsageQueryError(`step: expected minute, hour or day, got ${JSON.stringify(step)}`, 'step')
  const usageStep = step as UsageStep
  const to = values.to === undefined || values.to === '' ? now : parseUsageTime(values.to, now, 'to')
  const from = values.from === undefined || values.from === '' ? to - DEFAULT_SPAN_MS[usageStep] : parseUsageTime(values.from, now, 'from')
  if (from >= to) throw new UsageQueryError(`from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`, 'from')
  const buckets = Math.ceil((to - from) / STEP_MS[usageStep])
  if (buckets > MAX_BUCKETS) {
    throw new UsageQueryError(`from..to spans ${buckets} ${usageStep}s; at most ${MAX_BUCKETS} buckets per query: use a larger step or a shorter range`, 'from')
  }
  const site = values.site === undefined || values.site === '' ? undefined : values.site
  if (site !== undefined && (site.length > 253 || /[\u0000-\u001f\u007f]/.test(site))) {
    throw new UsageQueryError(`site: expected a site name (at most 253 characters, no control characters), got ${JSON.stringify(site.slice(0, 80))}`, 'site')
  }
  return site === undefined ? { from, to, step: usageStep } : { site, from, to, step: usageStep }
}

/** Epoch ms of a time given as ISO 8601 (UTC unless an offset is given), epoch ms, "now", or "-<n><s|m|h|d|w>" before `now`. */
export function parseUsageTime(text: string, now: number, parameter: string): number {
  const value = text.trim()
  if (value === 'now') return now
  if (EPOCH_MS.test(value)) return Number(value)
  const relative = RELATIVE.exec(value)
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]
  const iso = ISO.exec(value)
  if (!iso) throw new UsageQueryError(`${parameter}: expected ${TIME_FORMS}, got ${JSON.stringify(text)}`, parameter)
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '0', offset = 'Z'] = iso
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0')}${offset.toUpperCase()}`)
  // Date.parse accepts 2025-02-30 (as March 2nd); a time that does not exist is an error here.
  const check = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)))
  const valid = !Number.isNaN(ms) && check.getUTCFullYear() === Number(year) && check.getUTCMonth() === Number(month) - 1 && check.getUTCDate() === Number(day) && check.getUTCHours() === Number(hour) && check.getUTCMinutes() === Number(minute) && check.getUTCSeconds() === Number(second)
  if (!valid) throw new UsageQueryError(`${parameter}: ${JSON.stringify(text)} is not a valid date and time`, parameter)
  return ms
}
