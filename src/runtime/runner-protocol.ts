/**
 * The contract between the gateway (the edge process: owns every socket, storage, alarms,
 * placement; never runs tenant code) and a runner process (hosts tenant code in
 * isolated-vm isolates). Both sides import only this file of each other (and
 * runner-wire.ts, its wire format).
 *
 * Transport: a pipe the gateway gives the forked runner (stdio[4], fd in WEDGE_RUNNER_PIPE)
 * carrying runner-wire.ts frames; without one (the runner tests), `child_process.fork` IPC
 * with `serialization: 'advanced'`. Either way values are V8 structured clones (Buffers,
 * Uint8Array, Map, Date survive). Each side sends at most one message per event-loop turn:
 * an array of entries (`GatewayToRunner[]` / `RunnerToGateway[]`), flushed with
 * setImmediate. Entries in one message are applied in order.
 *
 * Ordering guarantees the gateway gives:
 * - Events for one object are delivered in arrival order. The runner runs them ONE AT A
 *   TIME per object (input gate): the next event for an object starts only after the
 *   previous one's handler promise settled. Different objects and the stateless worker run
 *   concurrently.
 * - Commands are applied in the order received. `event-done` carries the event's storage
 *   writes; the gateway commits them atomically (one SQLite transaction) before applying
 *   anything after it. The runner holds back `ws-send`/`ws-close` of an event that has
 *   uncommitted writes until that event's `event-done` has been emitted (output gate), so
 *   no client ever sees a message that depends on a write that could still be lost.
 */

/**
 * Identifies one Durable Object instance: class export name + id (64 hex chars). Storage is
 * keyed by both. idFromName(name) = HMAC-SHA256(key = appId + '/' + className, name) in hex,
 * so a name maps to the same id on every node; newUniqueId() = 32 random bytes in hex.
 */
export interface ObjectAddress {
  className: string
  objectId: string
  /** The name given to idFromName, when known (for logs and `id.name`). */
  name?: string
}

/** A plain request as it crosses the process boundary. Bodies are whole (limit: 32 MiB). */
export interface WireRequest {
  method: string
  url: string
  headers: [string, string][]
  body: Uint8Array | null
  /** Present when the request is a WebSocket upgrade: the gateway's pending socket. */
  upgradeSocketId?: string
}

export interface WireResponse {
  status: number
  statusText?: string
  headers: [string, string][]
  body: Uint8Array | null
  /**
   * Status 101 only: the socket accepted by the app. `mode` tells how the app took the
   * server end: 'accept' (standard API, event listeners in memory; pins its instance) or
   * 'hibernate' (ctx.acceptWebSocket on an object; survives eviction and deploys).
   */
  webSocket?: { socketId: string; mode: 'accept' | 'hibernate'; object?: ObjectAddress; tags?: string[] }
}

/** A socket as an instance sees it on (re)creation: `ctx.getWebSockets()` is synchronous. */
export interface SocketRecord {
  socketId: string
  tags: string[]
  /** V8-serialized attachment (≤ 16 KiB), or null. */
  attachment: Uint8Array | null
  /** Sec-WebSocket-Protocol chosen at the handshake ('' for none). */
  protocol: string
  /**
   * When the gateway last answered this socket with the object's auto-response (epoch ms),
   * for ctx.getWebSocketAutoResponseTimestamp(); absent/null = never. A live instance sees
   * the value as of its (re)creation: auto-responses happen while it is hibernated.
   */
  autoResponseAt?: number | null
}

export interface AppManifest {
  appId: string
  version: number
  /** ES module source produced by the bundler; imports only 'cloudflare:workers' and itself. */
  code: string
  /** Text and data modules keyed by specifier (Workers' module rules). */
  modules: Record<string, { type: 'text'; value: string } | { type: 'data'; value: Uint8Array }>
  durableObjects: { binding: string; className: string }[]
  vars: Record<string, string>
  secrets: Record<string, string>
  /** Hosts the app may reach with fetch(): exact names or "*.example.com". */
  fetchAllow: string[]
  limits: { cpuMs: number; memoryMb: number }
  allowWasm: boolean
  /** The site's `hibernate_after`: idle instances are evicted after this long (default RUNNER_DEFAULTS.hibernateAfterMs). */
  hibernateAfterMs?: number
}

export type GatewayToRunner =
  | { type: 'load'; app: AppManifest }
  | { type: 'unload'; appId: string; version: number }
  /** Any event for a stateless worker (object absent) or an object instance. */
  | { type: 'fetch'; eventId: number; appId: string; version: number; object?: ObjectAddress; sockets?: SocketRecord[]; request: WireRequest }
  | { type: 'ws-message'; eventId: number; appId: string; version: number; object?: ObjectAddress; sockets?: SocketRecord[]; socketId: string; data: string | Uint8Array }
  | { type: 'ws-close'; eventId: number; appId: string; version: number; object?: ObjectAddress; sockets?: SocketRecord[]; socketId: string; code: number; reason: string; wasClean: boolean }
  | { type: 'ws-error'; eventId: number; appId: string; version: number; object?: ObjectAddress; sockets?: SocketRecord[]; socketId: string; message: string }
  | { type: 'alarm'; eventId: number; appId: string; version: number; object: ObjectAddress; sockets?: SocketRecord[]; retryCount: number }
  /** Answer to a runner `rpc` entry. */
  | { type: 'rpc-result'; callId: number; ok: true; value: unknown }
  | { type: 'rpc-result'; callId: number; ok: false; error: string }
  /** Drop every instance of the app/version (deploy, rollback): they are re-created on demand. */
  | { type: 'evict-all'; appId: string; version: number }
  | { type: 'ping'; seq: number }

/**
 * `sockets` is sent with an event only when the gateway believes the target instance is not
 * live in this runner (first event after creation, eviction or a runner restart), so the
 * runner can build `ctx.getWebSockets()` before the constructor runs. When the gateway is
 * unsure (the object was idle for about `hibernateAfterMs`, so an `instance-evicted` may be
 * on its way) it sends `sockets` anyway: a runner whose instance is still live ignores them.
 */

export type RpcCall =
  /** Values come back as a Map of key → V8-serialized bytes (missing keys absent). */
  | { op: 'storage-get'; appId: string; object: ObjectAddress; keys: string[] }
  /** A Map of key → bytes in key order (UTF-8 byte order), after applying the options. */
  | { op: 'storage-list'; appId: string; object: ObjectAddress; options: { prefix?: string; start?: string; startAfter?: string; end?: string; limit?: number; reverse?: boolean } }
  | { op: 'storage-get-alarm'; appId: string; object: ObjectAddress }
  | { op: 'object-fetch'; appId: string; version: number; object: ObjectAddress; request: WireRequest }
  | { op: 'fetch'; appId: string; request: WireRequest }
  | { op: 'crypto'; fn: string; args: unknown[] }

export interface StorageWrite {
  key: string
  /** V8-serialized value; null deletes the key. */
  value: Uint8Array | null
}

export type RunnerToGateway =
  | { type: 'loaded'; appId: string; version: number }
  | { type: 'load-error'; appId: string; version: number; error: string }
  | {
      type: 'event-done'
      eventId: number
      /** For fetch events. */
      response?: WireResponse
      /** Uncaught error from the handler (logged; a fetch gets a 500). */
      error?: string
      /** Set when the app's isolate was killed by a limit while running this event. */
      limit?: 'cpu' | 'memory'
      writes?: StorageWrite[]
      deleteAll?: boolean
      /** undefined = unchanged; null = deleteAlarm(); number = setAlarm(epoch ms). */
      alarm?: number | null
      /** CPU time the event used, for metering. */
      cpuMs: number
    }
  | { type: 'rpc'; callId: number; call: RpcCall }
  | { type: 'ws-send'; socketIds: string[]; data: string | Uint8Array }
  | { type: 'ws-close'; socketId: string; code: number; reason: string }
  | { type: 'ws-attachment'; socketId: string; value: Uint8Array | null }
  | { type: 'auto-response'; appId: string; object: ObjectAddress; pair: { request: string; response: string } | null }
  /** The runner dropped an idle instance (no timers, no pending I/O, no 'accept'-mode sockets). */
  | { type: 'instance-evicted'; appId: string; version: number; object: ObjectAddress }
  /** The app's isolate died (memory limit, catastrophic error) and was re-created empty. */
  | { type: 'isolate-restarted'; appId: string; version: number; reason: string }
  | { type: 'log'; appId: string; object?: ObjectAddress; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'pong'; seq: number }

export const RUNNER_DEFAULTS = {
  /** An instance with nothing pending is evicted after this long without events. */
  hibernateAfterMs: 10_000,
  /** The gateway kills a runner that has not answered a ping for this long. */
  heartbeatTimeoutMs: 3_000,
  heartbeatIntervalMs: 1_000,
  maxAttachmentBytes: 16_384,
  maxAutoResponseChars: 2_048,
  maxTagsPerSocket: 10,
  maxTagLength: 256,
  maxMessageBytes: 32 * 1024 * 1024,
} as const
