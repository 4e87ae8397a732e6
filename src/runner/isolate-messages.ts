/**
 * The runner's internal contract between its host side (Node, `app-isolate.ts`) and the
 * platform code running inside each isolate (`platform/`). Everything crossing is copied
 * (isolated-vm structured clone); nothing here reaches the gateway unchecked.
 *
 * One call into the isolate = `dispatch(inputs, budgetMs)`: the platform applies the inputs
 * in order (stopping early once `budgetMs` of wall time has passed, so one call never runs
 * many events back to back past the CPU limit) and returns every output produced during the
 * call, microtasks included (isolated-vm copies the result after the microtask checkpoint).
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
  | { type: 'ws-send'; socketIds: string[]; data: string | Uint8Array }
  | { type: 'ws-close'; socketId: string; code: number; reason: string }
  | { type: 'ws-attachment'; socketId: string; value: Uint8Array | null }
  | { type: 'auto-response'; object: ObjectAddress; pair: { request: string; response: string } | null }
  | { type: 'instance-evicted'; object: ObjectAddress }
  | { type: 'log'; object?: ObjectAddress; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'rpc'; id: number; call: IsolateRpcCall }
  /** Host-local: arm (or re-arm) timer `id` to fire after `ms`. */
  | { type: 'timer'; id: number; ms: number }
  | { type: 'timer-clear'; id: number }

export interface DispatchResult {
  /** How many inputs were applied; the host re-sends the rest in the next call. */
  consumed: number
  out: IsolateOutput[]
  /** Live object instances after the call (the host sweeps only when some are live). */
  live: number
}

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
