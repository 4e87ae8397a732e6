/** console → `log` entries tagged with the object whose code is running (util.format-like text). */
import { current, emit } from './host-link.js'

const MAX_MESSAGE = 16 * 1024
type Level = 'debug' | 'info' | 'warn' | 'error'

export function inspect(value: unknown, depth = 2, seen: unknown[] = []): string {
  if (typeof value === 'string') return seen.length === 0 ? value : JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  if (typeof value === 'function') return `[Function: ${value.name || '(anonymous)'}]`
  if (value === null || typeof value !== 'object') return String(value)
  if (seen.includes(value)) return '[Circular]'
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (value instanceof RegExp) return value.toString()
  if (depth < 0) return Array.isArray(value) ? '[Array]' : '[Object]'
  const inner = [...seen, value]
  const show = (item: unknown): string => inspect(item, depth - 1, inner)
  if (Array.isArray(value)) return `[ ${value.slice(0, 100).map(show).join(', ')}${value.length > 100 ? ', ...' : ''} ]`
  if (value instanceof Map) return `Map(${value.size}) { ${[...value].slice(0, 100).map(([k, v]) => `${show(k)} => ${show(v)}`).join(', ')} }`
  if (value instanceof Set) return `Set(${value.size}) { ${[...value].slice(0, 100).map(show).join(', ')} }`
  if (ArrayBuffer.isView(value)) {
    const items = Array.from(value as unknown as ArrayLike<number>).slice(0, 50)
    return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length}) [ ${items.join(', ')} ]`
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${value.byteLength} }`
  const name = value.constructor?.name
  const prefix = name && name !== 'Object' ? `${name} ` : ''
  const keys = Object.keys(value).slice(0, 100)
  if (keys.length === 0) return `${prefix}{}`
  return `${prefix}{ ${keys.map((key) => `${key}: ${show((value as Record<string, unknown>)[key])}`).join(', ')} }`
}

export function format(args: unknown[]): string {
  let rest = args
  let text = ''
  if (typeof args[0] === 'string' && args[0].includes('%')) {
    let index = 1
    text = args[0].replace(/%([sdifjoOc%])/g, (match, kind: string) => {
      if (kind === '%') return '%'
      if (index >= args.length) return match
      const arg = args[index++]
      switch (kind) {
        case 's': return typeof arg === 'string' ? arg : inspect(arg, 1)
        case 'd': case 'i': return String(kind === 'i' ? Math.trunc(Number(arg)) : Number(arg))
        case 'f': return String(Number(arg))
        case 'j': try { return JSON.stringify(arg) } catch { return '[Circular]' }
        case 'c': return ''
        default: return inspect(arg, 2, [{}])
      }
    })
    rest = args.slice(index)
  } else if (args.length > 0) {
    text = inspect(args[0])
    rest = args.slice(1)
  }
  for (const arg of rest) text += ` ${typeof arg === 'string' ? arg : inspect(arg)}`
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}… (${text.length} chars)` : text
}

export function log(level: Level, message: string): void {
  const object = current().address
  emit(object === undefined ? { type: 'log', level, message } : { type: 'log', object, level, message })
}

function logger(level: Level) {
  return (...args: unknown[]): void => log(level, format(args))
}

const counts = new Map<string, number>()
const timers = new Map<string, number>()

export const console = {
  debug: logger('debug'),
  trace: logger('debug'),
  log: logger('info'),
  info: logger('info'),
  warn: logger('warn'),
  error: logger('error'),
  assert(condition: unknown, ...args: unknown[]): void {
    if (!condition) log('error', `Assertion failed${args.length > 0 ? `: ${format(args)}` : ''}`)
  },
  count(label = 'default'): void {
    const count = (counts.get(label) ?? 0) + 1
    counts.set(label, count)
    log('info', `${label}: ${count}`)
  },
  time(label = 'default'): void {
    timers.set(label, Date.now())
  },
  timeEnd(label = 'default'): void {
    const start = timers.get(label)
    timers.delete(label)
    if (start !== undefined) log('info', `${label}: ${Date.now() - start}ms`)
  },
  dir(value: unknown): void {
    log('info', inspect(value))
  },
  table(value: unknown): void {
    log('info', inspect(value))
  },
}

/** Reports an error nobody caught (timer callbacks, waitUntil promises). */
export function reportError(error: unknown, where: string): void {
  log('error', `Uncaught (${where}): ${inspect(error)}`)
}
