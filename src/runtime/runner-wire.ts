/**
 * The wire format of runner-protocol.ts on the runner's pipe: a stream of frames, each
 * `[u32 LE payload length][payload]`, one frame per batch (the array one event-loop turn
 * produced). A payload is the batch's entries in order, each a tag byte and its fields.
 *
 * The entries of every message go through the hot path have their own tags (a client
 * message to the app, a send of the app, an event-done carrying nothing but its cost); any
 * other entry is the V8 serialization of the entry object (tag 0), the same structured
 * clone `serialization: 'advanced'` IPC used, so nothing about cold entries changes.
 * Against that IPC, this saves the per-message object graph walk and host-object
 * callbacks on both sides, and most of the garbage (profiled: IPC was ~1/3 of the runner's
 * cost per echoed message). Both sides import this file, like runner-protocol.ts.
 */
import { deserialize, serialize } from 'node:v8'
import type { GatewayToRunner, RunnerToGateway } from './runner-protocol.js'

const TAG = { generic: 0, wsMessage: 1, wsSend: 2, eventDoneShort: 3 } as const
const DATA = { text: 0, binary: 1 } as const
/** Frames over this are refused (a runner sends at most 1,024 inputs' outputs per call, each ≤ 32 MiB). */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024

type Entry = GatewayToRunner | RunnerToGateway

/** Encodes batches into frames; one reusable scratch buffer, a fresh copy per frame. */
export class WireEncoder {
  #buffer = Buffer.allocUnsafe(64 * 1024)
  #at = 0

  /** The frame for one batch. */
  frame(batch: readonly Entry[]): Buffer {
    this.#at = 4
    for (const entry of batch) this.#entry(entry)
    this.#buffer.writeUInt32LE(this.#at - 4, 0)
    return Buffer.from(this.#buffer.subarray(0, this.#at))
  }

  #entry(entry: Entry): void {
    if (entry.type === 'ws-message' && entry.sockets === undefined) return this.#wsMessage(entry)
    if (entry.type === 'ws-send') return this.#wsSend(entry)
    if (entry.type === 'event-done' && isShortDone(entry)) {
      this.#room(17)
      this.#buffer[this.#at++] = TAG.eventDoneShort
      this.#at = this.#buffer.writeDoubleLE(entry.eventId, this.#at)
      this.#at = this.#buffer.writeDoubleLE(entry.cpuMs, this.#at)
      return
    }
    const bytes = serialize(entry)
    this.#room(5 + bytes.length)
    this.#buffer[this.#at++] = TAG.generic
    this.#at = this.#buffer.writeUInt32LE(bytes.length, this.#at)
    this.#at += bytes.copy(this.#buffer, this.#at)
  }

  #wsMessage(entry: Extract<GatewayToRunner, { type: 'ws-message' }>): void {
    this.#room(14)
    this.#buffer[this.#at++] = TAG.wsMessage
    this.#at = this.#buffer.writeDoubleLE(entry.eventId, this.#at)
    this.#at = this.#buffer.writeUInt32LE(entry.version, this.#at)
    const object = entry.object
    this.#buffer[this.#at++] = object === undefined ? 0 : object.name === undefined ? 1 : 2
    this.#string(entry.appId)
    if (object !== undefined) {
      this.#string(object.className)
      this.#string(object.objectId)
      if (object.name !== undefined) this.#string(object.name)
    }
    this.#string(entry.socketId)
    this.#data(entry.data)
  }

  #wsSend(entry: Extract<RunnerToGateway, { type: 'ws-send' }>): void {
    this.#room(5)
    this.#buffer[this.#at++] = TAG.wsSend
    this.#at = this.#buffer.writeUInt32LE(entry.socketIds.length, this.#at)
    for (const id of entry.socketIds) this.#string(id)
    this.#data(entry.data)
  }

  #string(text: string): void {
    this.#room(4 + text.length * 3)
    const length = this.#buffer.write(text, this.#at + 4, 'utf8')
    this.#buffer.writeUInt32LE(length, this.#at)
    this.#at += 4 + length
  }

  #data(data: string | Uint8Array): void {
    if (typeof data === 'string') {
      this.#room(1)
      this.#buffer[this.#at++] = DATA.text
      this.#string(data)
      return
    }
    this.#room(5 + data.byteLength)
    this.#buffer[this.#at++] = DATA.binary
    this.#at = this.#buffer.writeUInt32LE(data.byteLength, this.#at)
    this.#buffer.set(data, this.#at)
    this.#at += data.byteLength
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return
    let size = this.#buffer.length * 2
    while (size < this.#at + bytes) size *= 2
    const grown = Buffer.allocUnsafe(size)
    this.#buffer.copy(grown, 0, 0, this.#at)
    this.#buffer = grown
  }
}

/** An event-done with nothing but its id and cost: the common case, 17 bytes on the wire. */
function isShortDone(entry: Extract<RunnerToGateway, { type: 'event-done' }>): boolean {
  for (const key in entry) if (key !== 'type' && key !== 'eventId' && key !== 'cpuMs') return false
  return true
}

/**
 * Reassembles frames from stream chunks and decodes each into its batch. Binary data of a
 * client message is copied out (it goes on into an isolate, which copies a view's whole
 * buffer); binary data of a send is a view into the frame (the gateway frames it at once).
 */
export class WireDecoder {
  readonly #onBatch: (batch: Entry[]) => void
  #pending: Buffer[] = []
  #pendingBytes = 0
  #frameBytes = -1

  constructor(onBatch: (batch: Entry[]) => void) {
    this.#onBatch = onBatch
  }

  /** Feeds a chunk; calls onBatch for every complete frame. Throws on a malformed frame. */
  push(chunk: Buffer): void {
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    for (;;) {
      if (this.#frameBytes < 0) {
        if (this.#pendingBytes < 4) return
        this.#frameBytes = this.#take(4).readUInt32LE(0)
        if (this.#frameBytes > MAX_FRAME_BYTES) throw new Error(`runner wire frame of ${this.#frameBytes} bytes`)
      }
      if (this.#pendingBytes < this.#frameBytes) return
      const frame = this.#take(this.#frameBytes)
      this.#frameBytes = -1
      this.#onBatch(decodeFrame(frame))
    }
  }

  #take(bytes: number): Buffer {
    let first = this.#pending[0]!
    if (first.length < bytes) {
      const joined = Buffer.concat(this.#pending, this.#pendingBytes)
      this.#pending = [joined]
      first = joined
    }
    this.#pendingBytes -= bytes
    if (first.length === bytes) {
      this.#pending.shift()
      return first
    }
    this.#pending[0] = first.subarray(bytes)
    return first.subarray(0, bytes)
  }
}

class FrameCursor {
  at = 0
  constructor(readonly frame: Buffer) {}

  u8(): number {
    return this.frame[this.at++]!
  }

  u32(): number {
    const value = this.frame.readUInt32LE(this.at)
    this.at += 4
    return value
  }

  f64(): number {
    const value = this.frame.readDoubleLE(this.at)
    this.at += 8
    return value
  }

  string(): string {
    const length = this.u32()
    const text = this.frame.toString('utf8', this.at, this.at + length)
    this.at += length
    return text
  }

  bytes(copy: boolean): Uint8Array {
    const length = this.u32()
    const start = this.at
    this.at += length
    return copy ? Uint8Array.prototype.slice.call(this.frame, start, this.at) : this.frame.subarray(start, this.at)
  }

  data(copy: boolean): string | Uint8Array {
    return this.u8() === DATA.text ? this.string() : this.bytes(copy)
  }
}

export function decodeFrame(frame: Buffer): Entry[] {
  const cursor = new FrameCursor(frame)
  const batch: Entry[] = []
  while (cursor.at < frame.length) {
    switch (cursor.u8()) {
      case TAG.generic: {
        const length = cursor.u32()
        batch.push(deserialize(frame.subarray(cursor.at, cursor.at + length)) as Entry)
        cursor.at += length
        break
      }
      case TAG.wsMessage: {
        const eventId = cursor.f64()
        const version = cursor.u32()
        const shape = cursor.u8()
        const appId = cursor.string()
        const entry: Extract<GatewayToRunner, { type: 'ws-message' }> = { type: 'ws-message', eventId, appId, version, socketId: '', data: '' }
        if (shape !== 0) {
          entry.object = { className: cursor.string(), objectId: cursor.string() }
          if (shape === 2) entry.object.name = cursor.string()
        }
        entry.socketId = cursor.string()
        entry.data = cursor.data(true)
        batch.push(entry)
        break
      }
      case TAG.wsSend: {
        const count = cursor.u32()
        const socketIds: string[] = new Array(count)
        for (let i = 0; i < count; i++) socketIds[i] = cursor.string()
        batch.push({ type: 'ws-send', socketIds, data: cursor.data(false) })
        break
      }
      case TAG.eventDoneShort:
        batch.push({ type: 'event-done', eventId: cursor.f64(), cpuMs: cursor.f64() })
        break
      default:
        throw new Error(`unknown runner wire tag ${frame[cursor.at - 1]}`)
    }
  }
  return batch
}
