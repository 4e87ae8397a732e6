/** Response (Fetch standard §5.5) plus Workers' `webSocket` for 101 responses. */
import { Body, bodyBytes, bodyValueOf, cloneBodyValue, extractBody, setBodyValue } from './body.js'
import { Headers, headersFromWire, headersToWire, type HeadersInit } from './headers.js'
import { URL } from './url.js'
import { WebSocket } from './websocket.js'
import type { WireResponse } from '../../runtime/runner-protocol.js'

interface ResponseInit {
  status?: number
  statusText?: string
  headers?: HeadersInit
  webSocket?: WebSocket | null
  encodeBody?: string
  cf?: unknown
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304])
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308])

let trusted = false

export let responseFromWire: (wire: WireResponse, url: string, webSocket: WebSocket | null) => Response

export class Response extends Body {
  #status: number
  #statusText: string
  #headers: Headers
  #webSocket: WebSocket | null
  #url = ''
  #type = 'default'

  constructor(body: unknown = null, init: ResponseInit = {}) {
    super()
    const isTrusted = trusted
    trusted = false
    const status = init.status === undefined ? 200 : Number(init.status)
    const webSocket = init.webSocket ?? null
    if (!isTrusted) {
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        if (!(status === 101 && webSocket !== null)) throw new RangeError(`Invalid status code: ${init.status}`)
      }
      if (webSocket !== null && !(webSocket instanceof WebSocket)) throw new TypeError('webSocket must be a WebSocket')
      if (webSocket !== null && status !== 101) throw new TypeError('A Response with a webSocket must have status 101')
    }
    this.#status = status
    this.#statusText = init.statusText === undefined ? '' : String(init.statusText)
    this.#headers = new Headers(init.headers)
    this.#webSocket = webSocket
    const extracted = extractBody(body)
    if (extracted.value !== null && NULL_BODY_STATUS.has(status) && !isTrusted) {
      throw new TypeError(`Response with status ${status} cannot have a body`)
    }
    if (extracted.contentType !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.contentType)
    setBodyValue(this, extracted.value)
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data)
    if (text === undefined) throw new TypeError('Response.json: value is not JSON-serializable')
    const headers = new Headers(init.headers)
    if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    return new Response(text, { ...init, headers })
  }

  static redirect(url: unknown, status = 302): Response {
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Invalid redirect status: ${status}`)
    return new Response(null, { status, headers: { location: new URL(String(url)).href } })
  }

  static error(): Response {
    trusted = true
    const response = new Response(null, { status: 0 })
    response.#type = 'error'
    return response
  }

  get status(): number { return this.#status }
  get statusText(): string { return this.#statusText }
  get ok(): boolean { return this.#status >= 200 && this.#status <= 299 }
  get headers(): Headers { return this.#headers }
  get webSocket(): WebSocket | null { return this.#webSocket }
  get url(): string { return this.#url }
  get redirected(): boolean { return false }
  get type(): string { return this.#type }

  clone(): Response {
    if (this.#webSocket !== null) throw new TypeError('Cannot clone a Response with a webSocket')
    trusted = true
    const copy = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers })
    copy.#url = this.#url
    setBodyValue(copy, cloneBodyValue(this))
    return copy
  }

  static {
    responseFromWire = (wire, url, webSocket) => {
      trusted = true
      const response = new Response(null, { status: wire.status, statusText: wire.statusText ?? '', webSocket })
      response.#headers = headersFromWire(wire.headers)
      response.#url = url
      if (wire.body !== null && wire.body.length > 0) setBodyValue(response, { bytes: wire.body })
      return response
    }
  }
}


/** The wire form (without `webSocket`, which the runtime resolves); bodies are read whole. */
export async function responseToWire(response: Response): Promise<WireResponse> {
  const value = bodyValueOf(response)
  const body = value === null ? null : await bodyBytes(value)
  const wire: WireResponse = { status: response.status, headers: headersToWire(response.headers), body }
  if (response.statusText !== '') wire.statusText = response.statusText
  return wire
}
