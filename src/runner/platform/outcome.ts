/** What an event handler produced, and turning a fetch handler's Response into the wire form. */
import { bodyValueOf } from './body.js'
import { utf8Encode } from './bytes.js'
import { headersToWire } from './headers.js'
import { Response, responseToWire } from './response.js'
import { bindSocket, coreOf } from './websocket.js'
import type { SocketHolder, WebSocket } from './websocket.js'
import type { WireResponse } from '../../runtime/runner-protocol.js'
import type { IsolateOutput } from '../isolate-messages.js'
import { emit, emitDone } from './host-link.js'
import type { Drained } from './storage-buffer.js'

export interface Outcome {
  response?: WireResponse
  error?: string
  /** Runs right after `event-done` is emitted (binding an accepted socket to its id). */
  afterDone?: () => void
}

/** Emits an event's `event-done` (the short record when it carries nothing). */
export function emitEventDone(eventId: number, outcome: Outcome, drained: Drained = {}): void {
  if (outcome.response === undefined && outcome.error === undefined && drained.writes === undefined && drained.deleteAll === undefined && drained.alarm === undefined) {
    emitDone(eventId)
    return
  }
  const done: Extract<IsolateOutput, { type: 'event-done' }> = { type: 'event-done', eventId, ...drained }
  if (outcome.response !== undefined) done.response = outcome.response
  if (outcome.error !== undefined) done.error = outcome.error
  emit(done)
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  try {
    return String(error)
  } catch {
    return 'unknown error'
  }
}

/** Calls fn on a value or, when it is a promise, on its result. */
export function after<T, R>(value: T | Promise<T>, fn: (value: T) => R | Promise<R>): R | Promise<R> {
  if (value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') {
    return Promise.resolve(value).then(fn)
  }
  return fn(value as T)
}

/** Registers a socket once it is bound (the runtime's accept-mode table or the instance's). */
export type SocketRegistrar = (ws: WebSocket, socketId: string) => void

/**
 * The wire response of a fetch handler. A 101 must carry the client end of a pair whose
 * server end was accepted; the server end is bound to the request's upgrade socket id.
 */
export function responseOutcome(value: unknown, upgradeSocketId: string | undefined, register: SocketRegistrar, instance?: SocketHolder): Outcome | Promise<Outcome> {
  if (!(value instanceof Response)) throw new TypeError('The handler did not return a Response')
  const webSocket = value.webSocket
  if (webSocket === null) return after(wireOf(value), (response) => ({ response }))
  const client = coreOf(webSocket)
  if (client.mode === 'remote') {
    return after(wireOf(value), (response) => ({ response: { ...response, webSocket: client.remote! } }))
  }
  const server = client.peer!
  const core = coreOf(server)
  if (core.mode === 'pending') throw new TypeError('The server end of the WebSocketPair was never accepted (call accept() or ctx.acceptWebSocket())')
  if (upgradeSocketId === undefined) throw new TypeError('A 101 response with a webSocket answers only a WebSocket upgrade request')
  if (core.socketId !== null) throw new TypeError('This WebSocket was already returned in a response')
  // accept() after an await could not tell which object ran it; the event that returns it can.
  if (core.mode === 'accept' && core.owner === null && instance !== undefined) core.owner = instance
  const protocol = value.headers.get('sec-websocket-protocol') ?? ''
  const response: WireResponse = { status: 101, headers: headersToWire(value.headers), body: null }
  if (value.statusText !== '') response.statusText = value.statusText
  response.webSocket = core.mode === 'hibernate'
    ? { socketId: upgradeSocketId, mode: 'hibernate', object: core.owner!.address!, tags: [...core.tags] }
    : core.owner === null
      ? { socketId: upgradeSocketId, mode: 'accept' }
      : { socketId: upgradeSocketId, mode: 'accept', object: core.owner.address! }
  return {
    response,
    afterDone: () => {
      bindSocket(server, upgradeSocketId, protocol)
      register(server, upgradeSocketId)
    },
  }
}

/** Wire form without awaiting when the body is already whole (the common case). */
function wireOf(response: Response): WireResponse | Promise<WireResponse> {
  const value = bodyValueOf(response)
  if (value !== null && 'stream' in value) return responseToWire(response)
  const wire: WireResponse = {
    status: response.status,
    headers: headersToWire(response.headers),
    body: value === null ? null : 'text' in value ? utf8Encode(value.text) : value.bytes,
  }
  if (response.statusText !== '') wire.statusText = response.statusText
  return wire
}
