/**
 * The platform's only link to the runner: the host callback (captured here, never placed on
 * the global object), the output buffer of the current call, host-side RPCs and the
 * "current owner" (the object instance whose code is running synchronously right now).
 */
import type { HostOp, IsolateOutput, IsolateRpcCall } from '../isolate-messages.js'

type HostFunction = (op: HostOp, ...args: unknown[]) => unknown

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

let out: IsolateOutput[] = []
/** Identity of the buffer behind the last ws-send, to merge fan-out sends of one message. */
let lastSendSource: unknown = undefined

/** Starts the output buffer of a new call into the isolate. */
export function beginOutputs(): IsolateOutput[] {
  out = []
  lastSendSource = undefined
  return out
}

export function emit(entry: IsolateOutput): void {
  out.push(entry)
}

/**
 * Queues a ws-send. Consecutive sends of identical data (a broadcast loop) become one entry
 * with several socket ids, so fan-out crosses IPC once. Only the immediately preceding entry
 * is merged, which keeps every socket's message order.
 */
export function emitSend(socketId: string, data: string | Uint8Array, source: unknown): void {
  const last = out[out.length - 1]
  if (last !== undefined && last.type === 'ws-send') {
    if (typeof data === 'string' ? last.data === data : source === lastSendSource && sameBytes(last.data, data)) {
      last.socketIds.push(socketId)
      return
    }
  }
  out.push({ type: 'ws-send', socketIds: [socketId], data })
  lastSendSource = source
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
