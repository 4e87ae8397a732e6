/**
 * The runner's copy of each object's hibernatable sockets (id, tags, attachment, protocol),
 * kept from the traffic it relays. When an instance must be re-created and its event
 * carries no `sockets` (the gateway sent it before it learned of an eviction or an isolate
 * restart), the platform asks for this copy, so getWebSockets() is right either way.
 */
import type { ObjectAddress, SocketRecord } from '../runtime/runner-protocol.js'

export class SocketMirror {
  #byObject = new Map<string, Map<string, SocketRecord>>()
  #objectOf = new Map<string, string>()

  static key(object: Pick<ObjectAddress, 'className' | 'objectId'>): string {
    return `${object.className}:${object.objectId}`
  }

  /** The gateway's own list for an object replaces what the runner had. */
  replace(object: ObjectAddress, records: SocketRecord[]): void {
    const key = SocketMirror.key(object)
    for (const socketId of this.#byObject.get(key)?.keys() ?? []) this.#objectOf.delete(socketId)
    const map = new Map<string, SocketRecord>()
    for (const record of records) {
      map.set(record.socketId, { ...record, tags: [...record.tags] })
      this.#objectOf.set(record.socketId, key)
    }
    this.#byObject.set(key, map)
  }

  add(object: ObjectAddress, socketId: string, tags: string[], protocol: string): void {
    const key = SocketMirror.key(object)
    let map = this.#byObject.get(key)
    if (map === undefined) {
      map = new Map()
      this.#byObject.set(key, map)
    }
    map.set(socketId, { socketId, tags: [...tags], attachment: null, protocol })
    this.#objectOf.set(socketId, key)
  }

  setAttachment(socketId: string, value: Uint8Array | null): void {
    const key = this.#objectOf.get(socketId)
    const record = key === undefined ? undefined : this.#byObject.get(key)?.get(socketId)
    if (record !== undefined) record.attachment = value
  }

  remove(socketId: string): void {
    const key = this.#objectOf.get(socketId)
    if (key === undefined) return
    this.#objectOf.delete(socketId)
    const map = this.#byObject.get(key)
    map?.delete(socketId)
    if (map?.size === 0) this.#byObject.delete(key)
  }

  get(className: string, objectId: string): SocketRecord[] | null {
    const map = this.#byObject.get(`${className}:${objectId}`)
    return map === undefined ? null : [...map.values()]
  }
}
