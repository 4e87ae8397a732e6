/**
 * The platform's only link to the runner: the host callback (captured here, never placed on
 * the global object), the output buffer of the current call, host-side RPCs and the
 * "current owner" (the object instance whose code is running synchronously right now).
 */
import { OUTPUT, type HostOp, type IsolateOutput, type IsolateRpcCall } from '../isolate-messages.js'

type HostFunction = (op: HostOp, ...args: unknown[]) => unknown

/** Captured before app code runs: the app may replace Date.now, the platform's clock stays. */
export const now: () => number = Date.now.bind(Date)

let hostFunction: HostFunction = () => {
  throw new Error('platform not set up')
}

export function setHost(fn: HostFunction): void {
  hostFunction = fn
}

/** Calls the runner synchronously; arguments and result are copies. */
export function host<T>(op: HostOp, ...args: unknown[]): T {
  return hostFunction(op, ...args) as T
}

/** What pins an instance in memory: pending timers and RPCs are counted on their owner. */
export interface Owner {
  pendingTimers: number
  pendingRpcs: number
  readonly address?: { className: string; objectId: string; name?: string }
}

/** Work not attributable to one instance; while any is pending nothing is evicted. */
export const unowned: Owner = { pendingTimers: 0, pendingRpcs: 0 }

let currentOwner: Owner = unowned

export function current(): Owner {
  return currentOwner
}

/** Runs fn with `owner` as the current owner (timers, RPCs and logs are attributed to it). */
export function runAs<T>(owner: Owner, fn: () => T): T {
  const previous = currentOwner
  currentOwner = owner
  try {
    return fn()
  } finally {
    currentOwner = previous
  }
}

/** The flat output records of the current call (see OUTPUT in isolate-messages.ts). */
let out: unknown[] = []
/** Index of the last send record, and the identity of the buffer it came from. */
let lastSend = -1
let lastSendSource: unknown = undefined

/** Starts the output of a new call; slots 0 and 1 are the dispatch header. */
export function beginOutputs(): unknown[] {
  out = [0, 0]
  lastSend = -1
  return out
}

export function emit(entry: IsolateOutput): void {
  out.push(OUTPUT.entry, entry)
}

/** An event-done with nothing but its id (the common case). */
export function emitDone(eventId: number): void {
  out.push(OUTPUT.done, eventId)
}

/**
 * Queues a ws-send. Consecutive sends of identical data (a broadcast loop) become one entry
 * with several socket ids, so fan-out crosses IPC once. Only the immediately preceding entry
 * is merged, which keeps every socket's message order.
 */
export function emitSend(socketId: string, data: string | Uint8Array, source: unknown): void {
  if (lastSend === out.length - 3) {
    const last = out[lastSend + 2] as string | Uint8Array
    if (typeof data === 'string' ? last === data : source === lastSendSource && sameBytes(last, data)) {
      const ids = out[lastSend + 1] as string | string[]
      if (typeof ids === 'string') out[lastSend + 1] = [ids, socketId]
      else ids.push(socketId)
      return
    }
  }
  lastSend = out.length
  lastSendSource = source
  out.push(OUTPUT.send, socketId, data)
}

function sameBytes(a: string | Uint8Array, b: Uint8Array): boolean {
  if (typeof a === 'string' || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

interface PendingRpc {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  owner: Owner
}

let nextRpcId = 1
const pendingRpcs = new Map<number, PendingRpc>()

/** Sends an RPC to the gateway (through the runner); counted on `owner` until answered. */
export function rpc(call: IsolateRpcCall, owner: Owner = currentOwner): Promise<unknown> {
  const id = nextRpcId++
  emit({ type: 'rpc', id, call })
  owner.pendingRpcs++
  return new Promise((resolve, reject) => pendingRpcs.set(id, { resolve, reject, owner }))
}

export function settleRpc(id: number, ok: boolean, value: unknown, error: string | undefined): void {
  const pending = pendingRpcs.get(id)
  if (pending === undefined) return
  pendingRpcs.delete(id)
  pending.owner.pendingRpcs--
  if (ok) pending.resolve(value)
  else pending.reject(new Error(error ?? 'rpc failed'))
}
