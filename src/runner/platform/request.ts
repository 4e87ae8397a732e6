/** Request (Fetch standard §5.4), with the gateway's pending-upgrade socket id carried hidden. */
import { Body, bodyValueOf, cloneBodyValue, extractBody, setBodyValue, type BodyValue } from './body.js'
import { Headers, headersFromWire, headersToWire, type HeadersInit } from './headers.js'
import { URL } from './url.js'
import type { WireRequest } from '../../runtime/runner-protocol.js'

const NORMALIZED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'])

interface RequestInit {
  method?: string
  headers?: HeadersInit
  body?: unknown
  redirect?: string
  signal?: unknown
  cf?: unknown
}

/** Upgrade socket ids of incoming upgrade requests, passed on when the request is forwarded. */
const upgradeIds = new WeakMap<Request, string>()

export function upgradeSocketIdOf(request: Request): string | undefined {
  return upgradeIds.get(request)
}

/** Marks that the constructor is building from trusted wire parts (no re-validation). */
let fromWire: WireRequest | null = null

export class Request extends Body {
  #method: string
  #url: string
  #headers: Headers
  #redirect: string
  #cf: unknown

  constructor(input: unknown, init: RequestInit = {}) {
    super()
    const wire = fromWire
    fromWire = null
    if (wire !== null) {
      this.#method = wire.method
      this.#url = wire.url
      this.#headers = headersFromWire(wire.headers)
      this.#redirect = 'manual'
      this.#cf = undefined
      if (wire.body !== null && wire.body.length > 0) setBodyValue(this, { bytes: wire.body })
      if (wire.upgradeSocketId !== undefined) upgradeIds.set(this, wire.upgradeSocketId)
      return
    }
    let body: BodyValue | null = null
    if (input instanceof Request) {
      this.#method = input.#method
      this.#url = input.#url
      this.#headers = new Headers(input.#headers)
      this.#redirect = input.#redirect
      this.#cf = input.#cf
      if (init.body === undefined) body = cloneBodyValue(input)
      const upgrade = upgradeIds.get(input)
      if (upgrade !== undefined) upgradeIds.set(this, upgrade)
    } else {
      this.#url = new URL(input instanceof URL ? input.href : String(input)).href
      this.#method = 'GET'
      this.#headers = new Headers()
      this.#redirect = 'follow'
      this.#cf = undefined
    }
    if (init.method !== undefined) {
      const method = String(init.method)
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw new TypeError(`Invalid method: "${method}"`)
      this.#method = NORMALIZED_METHODS.has(method.toUpperCase()) ? method.toUpperCase() : method
    }
    if (init.headers !== undefined) this.#headers = new Headers(init.headers)
    if (init.redirect !== undefined) this.#redirect = String(init.redirect)
    if (init.cf !== undefined) this.#cf = init.cf
    if (init.body !== undefined && init.body !== null) {
      if (this.#method === 'GET' || this.#method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have a body')
      const extracted = extractBody(init.body)
      body = extracted.value
      if (extracted.contentType !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.contentType)
    }
    setBodyValue(this, body)
  }

  get method(): string { return this.#method }
  get url(): string { return this.#url }
  get headers(): Headers { return this.#headers }
  get redirect(): string { return this.#redirect }
  get cf(): unknown { return this.#cf }
  get signal(): undefined { return undefined }
  get keepalive(): boolean { return false }

  clone(): Request {
    return new Request(this)
  }
}

/** Builds the Request an app's handler receives from the gateway's wire request. */
export function requestFromWire(wire: WireRequest): Request {
  fromWire = wire
  return new Request('')
}

/** The wire form of a request; bodies are read whole. */
export async function requestToWire(request: Request): Promise<WireRequest> {
  const value = bodyValueOf(request)
  let body: Uint8Array | null = null
  if (value !== null) body = new Uint8Array(await request.arrayBuffer())
  const wire: WireRequest = { method: request.method, url: request.url, headers: headersToWire(request.headers), body }
  const upgrade = upgradeIds.get(request)
  if (upgrade !== undefined) wire.upgradeSocketId = upgrade
  return wire
}
