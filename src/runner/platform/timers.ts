/**
 * setTimeout/setInterval backed by host timers: arming and clearing are outputs of the call;
 * a firing timer is an input of a later call, so each callback runs under the CPU limit.
 * A timer belongs to the instance whose code created it (it pins the instance).
 */
import { current, emit, runAs, type Owner } from './host-link.js'
import { reportError } from './console.js'

interface Timer {
  callback: (...args: unknown[]) => unknown
  args: unknown[]
  ms: number
  repeat: boolean
  owner: Owner
}

const MAX_TIMERS = 10_000
const timers = new Map<number, Timer>()
let nextTimerId = 1

function arm(callback: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
  if (typeof callback !== 'function') throw new TypeError('The callback must be a function')
  if (timers.size >= MAX_TIMERS) throw new RangeError(`too many pending timers (${MAX_TIMERS})`)
  const delay = Math.min(Math.max(Number(ms) || 0, 0), 2 ** 31 - 1)
  const id = nextTimerId++
  const owner = current()
  owner.pendingTimers++
  timers.set(id, { callback: callback as Timer['callback'], args, ms: delay, repeat, owner })
  emit({ type: 'timer', id, ms: delay })
  return id
}

function clear(id: unknown): void {
  const timer = timers.get(Number(id))
  if (timer === undefined) return
  timers.delete(Number(id))
  timer.owner.pendingTimers--
  emit({ type: 'timer-clear', id: Number(id) })
}

export function setTimeout(callback: unknown, ms?: unknown, ...args: unknown[]): number {
  return arm(callback, ms, args, false)
}

export function setInterval(callback: unknown, ms?: unknown, ...args: unknown[]): number {
  return arm(callback, ms, args, true)
}

export const clearTimeout = clear
export const clearInterval = clear

/** A host timer fired: run its callback (re-arming an interval first). */
export function fireTimer(id: number): void {
  const timer = timers.get(id)
  if (timer === undefined) return
  if (timer.repeat) emit({ type: 'timer', id, ms: timer.ms })
  else {
    timers.delete(id)
    timer.owner.pendingTimers--
  }
  runAs(timer.owner, () => {
    try {
      timer.callback(...timer.args)
    } catch (error) {
      reportError(error, 'timer')
    }
  })
}

/** Cancels every timer of an instance that is being dropped. */
export function clearTimersOf(owner: Owner): void {
  for (const [id, timer] of timers) if (timer.owner === owner) clear(id)
}
