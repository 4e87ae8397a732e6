/**
 * Plays the gateway against a REAL forked runner (dist/src/runner/runner-main.js): sends
 * protocol batches, records every entry, answers storage RPCs from an in-memory store
 * (committing event-done writes in order), routes object-fetch back into the runner, and
 * keeps the hibernatable socket table so events carry `sockets` when an instance is not live.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type {
  AppManifest, GatewayToRunner, ObjectAddress, RpcCall, RunnerToGateway, SocketRecord, WireRequest, WireResponse,
} from '../../src/runtime/runner-protocol.js'

const RUNNER_MAIN = fileURLToPath(new URL('../../src/runner/runner-main.js', import.meta.url))

export type EventDone = Extract<RunnerToGateway, { type: 'event-done' }>
type Predicate = (entry: RunnerToGateway) => boolean
export interface AppRef { appId: string; version: number }

export function manifest(code: string, overrides: Partial<AppManifest> & { hibernateAfterMs?: number } = {}): AppManifest {
  return {
    appId: 'app', version: 1, code, modules: {}, durableObjects: [], vars: {}, secrets: {}, fetchAllow: [],
    limits: { cpuMs: 200, memoryMb: 64 }, allowWasm: false, ...overrides,
  }
}

export function request(url: string, init: Partial<WireRequest> = {}): WireRequest {
  return { method: 'GET', url, headers: [], body: null, ...init }
}

export function text(response: WireResponse | undefined): string {
  return response?.body ? Buffer.from(response.body).toString('utf8') : ''
}

function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

export class RunnerDriver {
  readonly child: ChildProcess
  readonly received: RunnerToGateway[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Committed storage by `appId/className:objectId`. */
  readonly storage = new Map<string, Map<string, Uint8Array>>()
  readonly alarms = new Map<string, number | null>()
  /** Hibernatable sockets the "gateway" holds, by socket id. */
  readonly sockets = new Map<string, { appId: string; object: ObjectAddress; record: SocketRecord }>()
  /** Answers `rpc {op:'fetch'}` (null: never answer); default refuses like an empty allow list. */
  onFetch: (call: Extract<RpcCall, { op: 'fetch' }>) => WireResponse | Error | null = () => new Error('host not in fetch_allow')
  #live = new Set<string>()
  #eventObjects = new Map<number, { appId: string; object?: ObjectAddress }>()
  #waiters: { predicate: Predicate; resolve: (entry: RunnerToGateway) => void; reject: (error: Error) => void }[] = []
  #nextEventId = 1
  #nextSeq = 1

  constructor() {
    this.child = fork(RUNNER_MAIN, [], { execArgv: ['--no-node-snapshot'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] })
    this.child.stderr!.resume()
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      // Nothing more can arrive: fail whoever still waits (and free their timers).
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`runner exited (${signal ?? code})`))
      resolve({ code, signal })
    }))
    this.child.on('message', (batch) => this.#onBatch(batch as RunnerToGateway[]))
  }

  send(...entries: GatewayToRunner[]): void {
    if (this.child.connected) this.child.send(entries)
  }

  waitFor(predicate: Predicate, timeoutMs = 5000): Promise<RunnerToGateway> {
    const found = this.received.find(predicate)
    if (found !== undefined) return Promise.resolve(found)
    return this.#next(predicate, timeoutMs)
  }

  /** Waits for a matching entry received from now on. */
  #next(predicate: Predicate, timeoutMs: number): Promise<RunnerToGateway> {
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (entry: RunnerToGateway) => { clearTimeout(timer); resolve(entry) },
        reject: (error: Error) => { clearTimeout(timer); reject(error) },
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a runner entry`))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  async load(app: AppManifest): Promise<RunnerToGateway> {
    const reply = this.#next((e) => (e.type === 'loaded' || e.type === 'load-error') && e.appId === app.appId && e.version === app.version, 10_000)
    this.send({ type: 'load', app })
    return reply
  }

  /** Sends one event (eventId assigned, `sockets` added when the instance is not live) and awaits its event-done. */
  event(event: Record<string, unknown> & { type: string; appId: string; version: number; object?: ObjectAddress }, timeoutMs = 5000): Promise<EventDone> {
    const eventId = this.#nextEventId++
    const entry = { ...event, eventId } as GatewayToRunner & { eventId: number }
    const sockets = this.#socketsFor(event.appId, event.version, event.object)
    if (sockets !== undefined) (entry as { sockets?: SocketRecord[] }).sockets = sockets
    this.#eventObjects.set(eventId, { appId: event.appId, object: event.object })
    const done = this.#next((e) => e.type === 'event-done' && e.eventId === eventId, timeoutMs) as Promise<EventDone>
    this.send(entry)
    return done
  }

  fetch(app: AppRef, req: WireRequest, object?: ObjectAddress, timeoutMs?: number): Promise<EventDone> {
    return this.event({ type: 'fetch', ...app, object, request: req }, timeoutMs)
  }

  message(app: AppRef, socketId: string, data: string | Uint8Array, object?: ObjectAddress): Promise<EventDone> {
    return this.event({ type: 'ws-message', ...app, object, socketId, data })
  }

  /** Resolves with the round-trip time, or rejects when no pong comes in time. */
  async ping(timeoutMs = 2000): Promise<number> {
    const seq = this.#nextSeq++
    const started = Date.now()
    const pong = this.#next((e) => e.type === 'pong' && e.seq === seq, timeoutMs)
    this.send({ type: 'ping', seq })
    await pong
    return Date.now() - started
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
  }

  objectKey(appId: string, object: Pick<ObjectAddress, 'className' | 'objectId'>): string {
    return `${appId}/${object.className}:${object.objectId}`
  }

  #socketsFor(appId: string, version: number, object: ObjectAddress | undefined): SocketRecord[] | undefined {
    if (object === undefined) return undefined
    const live = `${appId}@${version}/${object.className}:${object.objectId}`
    if (this.#live.has(live)) return undefined
    this.#live.add(live)
    return [...this.sockets.values()]
      .filter((s) => s.appId === appId && s.object.className === object.className && s.object.objectId === object.objectId)
      .map((s) => ({ ...s.record, tags: [...s.record.tags] }))
  }

  #onBatch(batch: RunnerToGateway[]): void {
    const answers: GatewayToRunner[] = []
    for (const entry of batch) {
      this.received.push(entry)
      this.#apply(entry, answers)
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(entry)) {
          this.#waiters = this.#waiters.filter((w) => w !== waiter)
          waiter.resolve(entry)
        }
      }
    }
    if (answers.length > 0) this.send(...answers)
  }

  #apply(entry: RunnerToGateway, answers: GatewayToRunner[]): void {
    switch (entry.type) {
      case 'event-done': return this.#commit(entry)
      case 'rpc': return this.#answer(entry.callId, entry.call, answers)
      case 'ws-attachment': {
        const socket = this.sockets.get(entry.socketId)
        if (socket !== undefined) socket.record.attachment = entry.value
        return
      }
      case 'instance-evicted':
        this.#live.delete(`${entry.appId}@${entry.version}/${entry.object.className}:${entry.object.objectId}`)
        return
      case 'isolate-restarted':
        for (const key of [...this.#live]) if (key.startsWith(`${entry.appId}@${entry.version}/`)) this.#live.delete(key)
        return
    }
  }

  #commit(done: EventDone): void {
    const origin = this.#eventObjects.get(done.eventId)
    this.#eventObjects.delete(done.eventId)
    const socket = done.response?.webSocket
    // A worker returning an object's 101 repeats the descriptor: the socket is already known then.
    if (origin !== undefined && socket?.mode === 'hibernate' && socket.object !== undefined && !this.sockets.has(socket.socketId)) {
      this.sockets.set(socket.socketId, { appId: origin.appId, object: socket.object, record: { socketId: socket.socketId, tags: socket.tags ?? [], attachment: null, protocol: '' } })
    }
    if (origin?.object === undefined) return
    const key = this.objectKey(origin.appId, origin.object)
    let map = this.storage.get(key)
    if (map === undefined) this.storage.set(key, (map = new Map()))
    if (done.deleteAll) map.clear()
    for (const write of done.writes ?? []) {
      if (write.value === null) map.delete(write.key)
      else map.set(write.key, write.value)
    }
    if (done.alarm !== undefined) this.alarms.set(key, done.alarm)
  }

  #answer(callId: number, call: RpcCall, answers: GatewayToRunner[]): void {
    const ok = (value: unknown): void => void answers.push({ type: 'rpc-result', callId, ok: true, value })
    if (call.op === 'storage-get') {
      const map = this.storage.get(this.objectKey(call.appId, call.object)) ?? new Map<string, Uint8Array>()
      return ok(new Map(call.keys.filter((k) => map.has(k)).map((k) => [k, map.get(k)!])))
    }
    if (call.op === 'storage-list') {
      const map = this.storage.get(this.objectKey(call.appId, call.object)) ?? new Map<string, Uint8Array>()
      const o = call.options
      let keys = [...map.keys()].filter((k) => (o.prefix === undefined || k.startsWith(o.prefix))
        && (o.start === undefined || compare(k, o.start) >= 0) && (o.startAfter === undefined || compare(k, o.startAfter) > 0)
        && (o.end === undefined || compare(k, o.end) < 0)).sort(compare)
      if (o.reverse) keys.reverse()
      if (o.limit !== undefined) keys = keys.slice(0, o.limit)
      return ok(new Map(keys.map((k) => [k, map.get(k)!])))
    }
    if (call.op === 'storage-get-alarm') return ok(this.alarms.get(this.objectKey(call.appId, call.object)) ?? null)
    if (call.op === 'fetch') {
      const result = this.onFetch(call)
      if (result === null) return
      return void answers.push(result instanceof Error ? { type: 'rpc-result', callId, ok: false, error: result.message } : { type: 'rpc-result', callId, ok: true, value: result })
    }
    if (call.op === 'object-fetch') {
      void this.event({ type: 'fetch', appId: call.appId, version: call.version, object: call.object, request: call.request }).then(
        (done) => this.send(done.response === undefined
          ? { type: 'rpc-result', callId, ok: false, error: done.error ?? 'no response' }
          : { type: 'rpc-result', callId, ok: true, value: done.response }),
        (error: Error) => this.send({ type: 'rpc-result', callId, ok: false, error: error.message }),
      )
      return
    }
    answers.push({ type: 'rpc-result', callId, ok: false, error: `unsupported rpc ${call.op}` })
  }
}
