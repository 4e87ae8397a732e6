import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { ObjectAddress, SocketRecord } from './runner-protocol.js'
import type { AppUpgradeHooks } from './socket-io.js'

/**
 * One client WebSocket of an app site, owned by the gateway. `pending` until the app answers
 * the upgrade; then bound: 'hibernate' (to an object, survives eviction and deploys) or
 * 'accept' (to the isolate of one version: the Worker, or an object instance it pins).
 */
export interface AppSocket {
  readonly id: string
  readonly connectionId: string
  readonly clientIp: string
  readonly path: string
  readonly startedAt: number
  /** The ingress's hooks for this connection, until the upgrade ends. */
  hooks: AppUpgradeHooks | undefined
  mode: 'pending' | 'accept' | 'hibernate'
  state: 'pending' | 'open' | 'closed'
  object: ObjectAddress | undefined
  /** objectKey(object), or '' for the stateless Worker. */
  objectKey: string
  /** The app version whose isolate serves an 'accept'-mode socket. */
  version: number
  tags: string[]
  attachment: Uint8Array | null
  protocol: string
  autoResponseAt: number | null
  ws: WebSocket | undefined
  /** The TCP/TLS stream under `ws`: fan-out writes pre-framed bytes here. */
  raw: Duplex | undefined
  /** What the app sent or asked before the handshake completed. */
  early: { data: (string | Uint8Array)[]; close?: { code: number; reason: string } } | undefined
  closedBy: 'client' | 'app' | 'edge' | undefined
  /** The close code the edge sent for a client's protocol violation (1002, 1007, 1009). */
  violation: number | undefined
  /** The SocketIo tick of the last write (coalescing writes within one tick). */
  writeTick: number
  /** performance.now() when the socket's write buffer went over the limit, else 0. */
  overSince: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
}

/** Class names are identifiers and ids hex, so a newline cannot occur in either. */
export function objectKey(object: ObjectAddress): string {
  return `${object.className}\n${object.objectId}`
}

/**
 * The sockets of one app site by id and by object. Ids carry the table's prefix so the
 * runner pool can route `ws-send` entries to the owning app without a global index.
 */
export class SocketTable {
  readonly prefix: string
  readonly #sockets = new Map<string, AppSocket>()
  readonly #byObject = new Map<string, Set<AppSocket>>()
  #next = 0

  constructor(prefix: string) {
    this.prefix = prefix
  }

  get size(): number {
    return this.#sockets.size
  }

  /** A new pending socket for an upgrade the app has not answered yet. */
  add(hooks: AppUpgradeHooks): AppSocket {
    const socket: AppSocket = {
      id: `${this.prefix}.${(++this.#next).toString(36)}`,
      connectionId: hooks.connectionId, clientIp: hooks.clientIp, path: hooks.path, hooks,
      startedAt: Date.now(),
      mode: 'pending', state: 'pending', object: undefined, objectKey: '', version: 0,
      tags: [], attachment: null, protocol: '', autoResponseAt: null,
      ws: undefined, raw: undefined, early: undefined, closedBy: undefined, violation: undefined, writeTick: 0, overSince: 0,
      messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0,
    }
    this.#sockets.set(socket.id, socket)
    return socket
  }

  get(id: string): AppSocket | undefined {
    return this.#sockets.get(id)
  }

  /**
   * Binds a pending socket to its mode, object and tags (from the app's 101 answer). Pass
   * the object's shared address and key when there is one: a room's sockets then hold one
   * copy of them, not one each (~280 bytes per socket).
   */
  bind(socket: AppSocket, binding: { mode: 'accept' | 'hibernate'; object: ObjectAddress | undefined; objectKey?: string; tags: string[]; version: number }): void {
    socket.mode = binding.mode
    socket.object = binding.object
    socket.objectKey = binding.object ? binding.objectKey ?? objectKey(binding.object) : ''
    socket.tags = binding.tags
    socket.version = binding.version
    if (!binding.object) return
    let set = this.#byObject.get(socket.objectKey)
    if (!set) this.#byObject.set(socket.objectKey, (set = new Set()))
    set.add(socket)
  }

  delete(socket: AppSocket): void {
    this.#sockets.delete(socket.id)
    const set = this.#byObject.get(socket.objectKey)
    if (set?.delete(socket) && set.size === 0) this.#byObject.delete(socket.objectKey)
  }

  /** Sockets bound to an object (any mode). */
  ofObject(key: string): ReadonlySet<AppSocket> | undefined {
    return this.#byObject.get(key)
  }

  /** What an instance of the object sees in ctx.getWebSockets() when it is (re)created. */
  snapshot(key: string): SocketRecord[] {
    const records: SocketRecord[] = []
    for (const socket of this.#byObject.get(key) ?? []) {
      if (socket.mode !== 'hibernate') continue
      records.push({ socketId: socket.id, tags: socket.tags, attachment: socket.attachment, protocol: socket.protocol, autoResponseAt: socket.autoResponseAt })
    }
    return records
  }

  values(): IterableIterator<AppSocket> {
    return this.#sockets.values()
  }
}
