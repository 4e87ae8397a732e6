/**
 * The runner's internal contract between its host side (Node, `app-isolate.ts`) and the
 * platform code running inside each isolate (`platform/`). Everything crossing is copied
 * (isolated-vm structured clone); nothing here reaches the gateway unchecked.
 *
 * One call into the isolate = `dispatch(inputs, budgetMs)`: the platform applies the inputs
 * in order (stopping early once `budgetMs` of wall time has passed, so one call never runs
 * many events back to back past the CPU limit) and returns every output produced during the
 * call, microtasks included (isolated-vm copies the result after the microtask checkpoint).
 *
 * Both directions travel as FLAT arrays of records (a code, then fixed slots): copying an
 * array of primitives costs ~0.4 µs per message where an object per message costs ~3 µs,
 * and the copies are most of a message's cost in the runner.
 */
import type { GatewayToRunner, ObjectAddress, SocketRecord, StorageWrite, WireRequest, WireResponse } from '../runtime/runner-protocol.js'

/** The gateway entries that are events for an app (fetch, ws-*, alarm). */
export type EventEntry = Extract<GatewayToRunner, { eventId: number }>

export type IsolateInput =
  | { t: 'event'; event: EventEntry }
  | { t: 'rpc'; id: number; ok: boolean; value?: unknown; error?: string }
  | { t: 'timer'; id: number }
  /** Evict instances idle for the configured time. */
  | { t: 'sweep' }
  | { t: 'evict-all' }

export type IsolateRpcCall =
  | { op: 'storage-get'; object: ObjectAddress; keys: string[] }
  | { op: 'storage-list'; object: ObjectAddress; options: { prefix?: string; start?: string; startAfter?: string; end?: string; limit?: number; reverse?: boolean } }
  | { op: 'storage-get-alarm'; object: ObjectAddress }
  | { op: 'object-fetch'; object: ObjectAddress; request: WireRequest }
  | { op: 'fetch'; request: WireRequest }

export type IsolateOutput =
  | {
      type: 'event-done'
      eventId: number
      response?: WireResponse
      error?: string
      writes?: StorageWrite[]
      deleteAll?: boolean
      alarm?: number | null
    }
  | { type: 'ws-close'; socketId: string; code: number; reason: string }
  | { type: 'ws-attachment'; socketId: string; value: Uint8Array | null }
  | { type: 'auto-response'; object: ObjectAddress; pair: { request: string; response: string } | null }
  | { type: 'instance-evicted'; object: ObjectAddress }
  | { type: 'log'; object?: ObjectAddress; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'rpc'; id: number; call: IsolateRpcCall }
  /** Host-local: arm (or re-arm) timer `id` to fire after `ms`. */
  | { type: 'timer'; id: number; ms: number }
  | { type: 'timer-clear'; id: number }

/**
 * Input record codes and their slots (code included):
 * - event: [1, event]  (any event entry, as an object)
 * - wsMessage: [2, eventId, className?, objectId?, name?, socketId, data, sockets?]  (the hot path)
 * - rpc: [3, id, ok, value | error]
 * - timer: [4, id]
 * - sweep: [5]; evictAll: [6]
 */
export const INPUT = { event: 1, wsMessage: 2, rpc: 3, timer: 4, sweep: 5, evictAll: 6 } as const
export const INPUT_SLOTS: Record<number, number> = { 1: 2, 2: 8, 3: 4, 4: 2, 5: 1, 6: 1 }

/**
 * The result of dispatch: [consumed, live, ...records] where `consumed` counts the input
 * records applied (the host re-sends the rest), `live` the live object instances, and records:
 * - entry: [0, IsolateOutput]
 * - send: [1, socketId | socketIds[], data]  (a ws-send; fan-out merged)
 * - done: [2, eventId]  (an event-done without response, error or writes)
 */
export const OUTPUT = { entry: 0, send: 1, done: 2 } as const
export type DispatchResult = unknown[]

/** Given once to the platform's setup function. */
export interface PlatformConfig {
  appId: string
  version: number
  durableObjects: { binding: string; className: string }[]
  vars: Record<string, string>
  secrets: Record<string, string>
  /** Data modules' bytes by specifier (text modules are compiled as string literals). */
  dataModules: Record<string, Uint8Array>
  allowWasm: boolean
  hibernateAfterMs: number
}

/**
 * Operations of the one host callback the platform holds (`host(op, ...args)`). Each takes
 * and returns copies only.
 */
export const HOST_OPS = [
  'serialize', 'deserialize', 'deserialize-many', 'clone',
  'random', 'uuid', 'digest', 'hmac-sign', 'hmac-verify', 'object-id',
  'url-parse', 'url-set', 'utf8-encode', 'utf8-decode', 'sockets',
] as const
export type HostOp = (typeof HOST_OPS)[number]

export type { SocketRecord }
