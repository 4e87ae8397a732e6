/** DurableObjectState (`this.ctx` / `state`): id, storage, hibernatable sockets, concurrency. */
import { emit } from './host-link.js'
import { reportError } from './console.js'
import type { ObjectInstance } from './instance.js'
import { DurableObjectId } from './namespace.js'
import { DurableObjectStorage } from './storage.js'
import { coreOf, WebSocket, WebSocketRequestResponsePair } from './websocket.js'
import { RUNNER_DEFAULTS } from '../../runtime/runner-protocol.js'

/** Auto-response pairs by object key, kept for the isolate's life (they outlive eviction). */
const autoResponses = new Map<string, WebSocketRequestResponsePair>()

export class DurableObjectState {
  #instance: ObjectInstance
  readonly id: DurableObjectId
  readonly storage: DurableObjectStorage

  constructor(instance: ObjectInstance) {
    this.#instance = instance
    const { className, objectId, name } = instance.address
    this.id = new DurableObjectId(className, objectId, name)
    this.storage = new DurableObjectStorage(instance)
  }

  waitUntil(promise: unknown): void {
    Promise.resolve(promise).catch((error: unknown) => reportError(error, 'waitUntil'))
  }

  blockConcurrencyWhile<T>(fn: () => T | Promise<T>): Promise<T> {
    const promise = (async () => fn())()
    this.#instance.block(promise)
    return promise
  }

  acceptWebSocket(ws: unknown, tags: unknown = []): void {
    if (!(ws instanceof WebSocket)) throw new TypeError('acceptWebSocket() needs a WebSocket')
    const core = coreOf(ws)
    if (!core.isServer || core.mode !== 'pending') throw new TypeError('acceptWebSocket() needs the server end of a new WebSocketPair')
    const list = [...(tags as Iterable<unknown>)]
    if (list.length > RUNNER_DEFAULTS.maxTagsPerSocket) throw new RangeError(`at most ${RUNNER_DEFAULTS.maxTagsPerSocket} tags per WebSocket`)
    for (const tag of list) {
      if (typeof tag !== 'string') throw new TypeError('WebSocket tags must be strings')
      if (tag.length > RUNNER_DEFAULTS.maxTagLength) throw new RangeError(`WebSocket tags are limited to ${RUNNER_DEFAULTS.maxTagLength} characters`)
    }
    core.mode = 'hibernate'
    core.owner = this.#instance
    core.tags = list as string[]
    this.#instance.sockets.add(ws)
  }

  getWebSockets(tag?: string): WebSocket[] {
    const sockets: WebSocket[] = []
    for (const ws of this.#instance.sockets) {
      const core = coreOf(ws)
      if (core.readyState !== 3 && (tag === undefined || core.tags.includes(String(tag)))) sockets.push(ws)
    }
    return sockets
  }

  getTags(ws: unknown): string[] {
    if (!(ws instanceof WebSocket) || coreOf(ws).mode !== 'hibernate') throw new TypeError('getTags() needs a WebSocket accepted with acceptWebSocket()')
    return [...coreOf(ws).tags]
  }

  setWebSocketAutoResponse(pair?: unknown): void {
    if (pair !== undefined && pair !== null && !(pair instanceof WebSocketRequestResponsePair)) {
      throw new TypeError('setWebSocketAutoResponse() needs a WebSocketRequestResponsePair')
    }
    const key = this.#instance.key
    if (pair instanceof WebSocketRequestResponsePair) autoResponses.set(key, pair)
    else autoResponses.delete(key)
    emit({
      type: 'auto-response',
      object: this.#instance.address,
      pair: pair instanceof WebSocketRequestResponsePair ? { request: pair.request, response: pair.response } : null,
    })
  }

  getWebSocketAutoResponse(): WebSocketRequestResponsePair | null {
    return autoResponses.get(this.#instance.key) ?? null
  }

  /** The gateway answers auto-responses without waking the object, so the time is not known here. */
  getWebSocketAutoResponseTimestamp(_ws: unknown): Date | null {
    return null
  }

  setHibernatableWebSocketEventTimeout(_ms?: number): void {}

  getHibernatableWebSocketEventTimeout(): number | null {
    return null
  }
}
