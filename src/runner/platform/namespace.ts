/**
 * Durable Object namespace bindings in `env`: ids (idFromName = HMAC-SHA256 keyed by
 * appId/className, computed by the runner; newUniqueId = 32 random bytes) and stubs whose
 * fetch() becomes an `object-fetch` RPC routed by the gateway.
 */
import { hex } from './bytes.js'
import { current, host, rpc } from './host-link.js'
import { Request, requestToWire } from './request.js'
import { responseFromWire, type Response } from './response.js'
import { remoteSocket } from './websocket.js'
import type { ObjectAddress, WireResponse } from '../../runtime/runner-protocol.js'

const ID_PATTERN = /^[0-9a-f]{64}$/

export let addressOf: (id: DurableObjectId) => ObjectAddress

export class DurableObjectId {
  #className: string
  #id: string
  #name: string | undefined

  constructor(className: string, id: string, name?: string) {
    this.#className = className
    this.#id = id
    this.#name = name
  }

  static {
    addressOf = (id) => (id.#name === undefined ? { className: id.#className, objectId: id.#id } : { className: id.#className, objectId: id.#id, name: id.#name })
  }

  get name(): string | undefined {
    return this.#name
  }

  toString(): string {
    return this.#id
  }

  toJSON(): string {
    return this.#id
  }

  equals(other: unknown): boolean {
    return other instanceof DurableObjectId && other.#id === this.#id && other.#className === this.#className
  }
}

export class DurableObjectStub {
  #address: ObjectAddress
  readonly id: DurableObjectId

  constructor(id: DurableObjectId) {
    this.id = id
    this.#address = addressOf(id)
  }

  get name(): string | undefined {
    return this.#address.name
  }

  /** Sends a request to the object; a 101 answer carries the socket the object accepted. */
  async fetch(input: unknown, init?: Record<string, unknown>): Promise<Response> {
    const owner = current()
    const request = new Request(input, init)
    const wire = await requestToWire(request)
    const answer = (await rpc({ op: 'object-fetch', object: this.#address, request: wire }, owner)) as WireResponse
    return responseFromWire(answer, request.url, answer.webSocket === undefined ? null : remoteSocket(answer.webSocket))
  }
}

export class DurableObjectNamespace {
  #className: string

  constructor(className: string) {
    this.#className = className
  }

  idFromName(name: unknown): DurableObjectId {
    const text = String(name)
    return new DurableObjectId(this.#className, host<string>('object-id', this.#className, text), text)
  }

  newUniqueId(_options?: unknown): DurableObjectId {
    return new DurableObjectId(this.#className, hex(host<Uint8Array>('random', 32)))
  }

  idFromString(id: unknown): DurableObjectId {
    const text = String(id).toLowerCase()
    if (!ID_PATTERN.test(text)) throw new TypeError('Invalid Durable Object ID: expected 64 hex digits')
    return new DurableObjectId(this.#className, text)
  }

  get(id: unknown, _options?: unknown): DurableObjectStub {
    if (!(id instanceof DurableObjectId)) throw new TypeError('get() needs a DurableObjectId')
    if (addressOf(id).className !== this.#className) throw new TypeError('This ID belongs to a different Durable Object namespace')
    return new DurableObjectStub(id)
  }

  getByName(name: unknown, options?: unknown): DurableObjectStub {
    return this.get(this.idFromName(name), options)
  }

  jurisdiction(_name: string): DurableObjectNamespace {
    return this
  }
}
