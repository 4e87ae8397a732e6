/**
 * The flat records of one call into an isolate: inputs encoded here, outputs turned into
 * gateway entries. Outputs are untrusted copies: shapes are checked, app id/version are
 * filled in here (never taken from the app), and an event-done counts only for an event this
 * app version actually has in flight.
 */
import { INPUT, OUTPUT, type IsolateInput, type IsolateOutput, type IsolateRpcCall } from './isolate-messages.js'
import type { SocketMirror } from './socket-mirror.js'
import type { RpcCall, RunnerToGateway } from '../runtime/runner-protocol.js'

export interface OutputSink {
  appId: string
  version: number
  send(entry: RunnerToGateway): void
  isPending(eventId: number): boolean
  /** The event ended (called before its event-done is sent). */
  done(eventId: number): void
  mirror: SocketMirror
  rpc(localId: number, call: RpcCall): void
  timer(id: number, ms: number): void
  clearTimer(id: number): void
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error'])

const OUTPUT_SLOTS: Record<number, number> = { [OUTPUT.entry]: 2, [OUTPUT.send]: 3, [OUTPUT.done]: 2 }

function isData(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array
}

/** The flat input records of one call (layout in isolate-messages.ts). */
export function encodeInputs(inputs: IsolateInput[]): unknown[] {
  const records: unknown[] = []
  for (const input of inputs) {
    switch (input.t) {
      case 'event': {
        const event = input.event
        if (event.type === 'ws-message') {
          const object = event.object
          records.push(INPUT.wsMessage, event.eventId, object?.className, object?.objectId, object?.name, event.socketId, event.data, event.sockets)
        } else {
          records.push(INPUT.event, event)
        }
        break
      }
      case 'rpc':
        records.push(INPUT.rpc, input.id, input.ok, input.ok ? input.value : input.error)
        break
      case 'timer':
        records.push(INPUT.timer, input.id)
        break
      case 'sweep':
        records.push(INPUT.sweep)
        break
      case 'evict-all':
        records.push(INPUT.evictAll)
        break
    }
  }
  return records
}

/** Applies one call's output records; the call's CPU time is shared by the events that ended in it. */
export function applyOutputs(result: unknown[], cpuNs: number, sink: OutputSink): void {
  if (!Array.isArray(result)) return
  let ended = 0
  for (let i = 2; i < result.length; i += OUTPUT_SLOTS[result[i] as number] ?? result.length) {
    if (result[i] === OUTPUT.done || (result[i] === OUTPUT.entry && (result[i + 1] as IsolateOutput | null)?.type === 'event-done')) ended++
  }
  const cpuMs = ended === 0 ? 0 : cpuNs / 1e6 / ended
  for (let i = 2; i < result.length; i += OUTPUT_SLOTS[result[i] as number] ?? result.length) {
    if (result[i] === OUTPUT.send) {
      const ids = result[i + 1]
      const data = result[i + 2]
      if (!isData(data)) continue
      if (typeof ids === 'string') sink.send({ type: 'ws-send', socketIds: [ids], data })
      else if (Array.isArray(ids)) sink.send({ type: 'ws-send', socketIds: ids as string[], data })
      continue
    }
    if (result[i] === OUTPUT.done) {
      const eventId = result[i + 1] as number
      if (!sink.isPending(eventId)) continue
      sink.done(eventId)
      sink.send({ type: 'event-done', eventId, cpuMs })
      continue
    }
    const entry = result[i + 1] as IsolateOutput | null
    if (entry === null || typeof entry !== 'object') continue
    switch (entry.type) {
      case 'event-done': {
        if (!sink.isPending(entry.eventId)) break
        sink.done(entry.eventId)
        const socket = entry.response?.webSocket
        if (socket?.mode === 'hibernate' && socket.object !== undefined) {
          const protocol = entry.response!.headers.find(([name]) => name.toLowerCase() === 'sec-websocket-protocol')?.[1] ?? ''
          sink.mirror.add(socket.object, socket.socketId, socket.tags ?? [], protocol)
        }
        const done = entry as Extract<RunnerToGateway, { type: 'event-done' }>
        done.cpuMs = cpuMs
        sink.send(done)
        break
      }
      case 'ws-close':
        if (typeof entry.socketId === 'string') sink.send(entry)
        break
      case 'ws-attachment':
        if (typeof entry.socketId !== 'string') break
        sink.mirror.setAttachment(entry.socketId, entry.value)
        sink.send(entry)
        break
      case 'auto-response':
        sink.send({ type: 'auto-response', appId: sink.appId, object: entry.object, pair: entry.pair })
        break
      case 'instance-evicted':
        sink.send({ type: 'instance-evicted', appId: sink.appId, version: sink.version, object: entry.object })
        break
      case 'log':
        if (!LEVELS.has(entry.level)) break
        sink.send(entry.object === undefined
          ? { type: 'log', appId: sink.appId, level: entry.level, message: String(entry.message) }
          : { type: 'log', appId: sink.appId, object: entry.object, level: entry.level, message: String(entry.message) })
        break
      case 'rpc':
        sink.rpc(entry.id, toRpcCall(entry.call, sink))
        break
      case 'timer':
        sink.timer(entry.id, entry.ms)
        break
      case 'timer-clear':
        sink.clearTimer(entry.id)
        break
    }
  }
}

function toRpcCall(call: IsolateRpcCall, sink: OutputSink): RpcCall {
  switch (call.op) {
    case 'storage-get': return { op: 'storage-get', appId: sink.appId, object: call.object, keys: call.keys }
    case 'storage-list': return { op: 'storage-list', appId: sink.appId, object: call.object, options: call.options }
    case 'storage-get-alarm': return { op: 'storage-get-alarm', appId: sink.appId, object: call.object }
    case 'object-fetch': return { op: 'object-fetch', appId: sink.appId, version: sink.version, object: call.object, request: call.request }
    case 'fetch': return { op: 'fetch', appId: sink.appId, request: call.request }
  }
}
