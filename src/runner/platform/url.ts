/**
 * URL (parsing by the runner's WHATWG URL implementation through the host, so it is exactly
 * Node's) and URLSearchParams (application/x-www-form-urlencoded, implemented here).
 */
import { host } from './host-link.js'
import { utf8Decode, utf8Encode } from './bytes.js'

export interface UrlParts {
  href: string
  origin: string
  protocol: string
  username: string
  password: string
  host: string
  hostname: string
  port: string
  pathname: string
  search: string
  hash: string
}

/** Replaces a URLSearchParams' list after the owning URL's query changed. */
let replaceParams: (params: URLSearchParams, search: string) => void

/** Lets a URL's searchParams write back to it without making `#update` public. */
const linkedUrls = new WeakMap<URLSearchParams, (query: string) => void>()

export class URL {
  #parts: UrlParts
  #params: URLSearchParams | undefined

  constructor(url: unknown, base?: unknown) {
    const parts = host<UrlParts | null>('url-parse', String(url), base === undefined ? undefined : String(base))
    if (parts === null) throw new TypeError(`Invalid URL: ${String(url)}`)
    this.#parts = parts
  }

  static canParse(url: unknown, base?: unknown): boolean {
    return host<UrlParts | null>('url-parse', String(url), base === undefined ? undefined : String(base)) !== null
  }

  static parse(url: unknown, base?: unknown): URL | null {
    return URL.canParse(url, base) ? new URL(url, base) : null
  }

  #set(property: keyof UrlParts, value: unknown): void {
    const parts = host<UrlParts | null>('url-set', this.#parts.href, property, String(value))
    if (parts === null) throw new TypeError(`Invalid URL: ${String(value)}`)
    this.#parts = parts
    if (this.#params !== undefined) replaceParams(this.#params, parts.search)
  }

  get href(): string { return this.#parts.href }
  set href(value: string) { this.#set('href', value) }
  get origin(): string { return this.#parts.origin }
  get protocol(): string { return this.#parts.protocol }
  set protocol(value: string) { this.#set('protocol', value) }
  get username(): string { return this.#parts.username }
  set username(value: string) { this.#set('username', value) }
  get password(): string { return this.#parts.password }
  set password(value: string) { this.#set('password', value) }
  get host(): string { return this.#parts.host }
  set host(value: string) { this.#set('host', value) }
  get hostname(): string { return this.#parts.hostname }
  set hostname(value: string) { this.#set('hostname', value) }
  get port(): string { return this.#parts.port }
  set port(value: string) { this.#set('port', value) }
  get pathname(): string { return this.#parts.pathname }
  set pathname(value: string) { this.#set('pathname', value) }
  get search(): string { return this.#parts.search }
  set search(value: string) { this.#set('search', value) }
  get hash(): string { return this.#parts.hash }
  set hash(value: string) { this.#set('hash', value) }

  get searchParams(): URLSearchParams {
    if (this.#params === undefined) {
      const params = new URLSearchParams(this.#parts.search)
      linkedUrls.set(params, (query) => {
        // An empty list clears the query entirely (URL standard, "update steps").
        this.#set('search', query)
      })
      this.#params = params
    }
    return this.#params
  }

  toString(): string { return this.#parts.href }
  toJSON(): string { return this.#parts.href }
}

type ParamsInit = string | URLSearchParams | Iterable<[string, string]> | Record<string, string>

export class URLSearchParams {
  #list: [string, string][] = []

  constructor(init: ParamsInit | undefined = undefined) {
    if (init === undefined || init === null) return
    if (typeof init === 'object' || typeof init === 'function') {
      if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v])
      else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
        for (const pair of init as Iterable<unknown>) {
          const items = [...(pair as Iterable<unknown>)]
          if (items.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items')
          this.#list.push([String(items[0]), String(items[1])])
        }
      } else {
        for (const key of Object.keys(init)) this.#list.push([key, String((init as Record<string, unknown>)[key])])
      }
      return
    }
    this.#list = parseQuery(String(init))
  }

  #update(): void {
    linkedUrls.get(this)?.(this.#list.length === 0 ? '' : this.toString())
  }

  get size(): number { return this.#list.length }
  append(name: string, value: string): void {
    this.#list.push([String(name), String(value)])
    this.#update()
  }
  delete(name: string, value?: string): void {
    const n = String(name)
    this.#list = this.#list.filter(([k, v]) => k !== n || (value !== undefined && v !== String(value)))
    this.#update()
  }
  get(name: string): string | null {
    const n = String(name)
    return this.#list.find(([k]) => k === n)?.[1] ?? null
  }
  getAll(name: string): string[] {
    const n = String(name)
    return this.#list.filter(([k]) => k === n).map(([, v]) => v)
  }
  has(name: string, value?: string): boolean {
    const n = String(name)
    return this.#list.some(([k, v]) => k === n && (value === undefined || v === String(value)))
  }
  set(name: string, value: string): void {
    const n = String(name)
    const index = this.#list.findIndex(([k]) => k === n)
    if (index < 0) this.#list.push([n, String(value)])
    else {
      this.#list[index] = [n, String(value)]
      this.#list = this.#list.filter(([k], i) => k !== n || i === index)
    }
    this.#update()
  }
  sort(): void {
    // Stable sort by UTF-16 code units of the name (URL standard).
    this.#list = this.#list.map((pair, i) => ({ pair, i }))
      .sort((a, b) => (a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : a.i - b.i))
      .map(({ pair }) => pair)
    this.#update()
  }
  forEach(callback: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of [...this.#list]) callback.call(thisArg, v, k, this)
  }
  *keys(): IterableIterator<string> { for (const [k] of [...this.#list]) yield k }
  *values(): IterableIterator<string> { for (const [, v] of [...this.#list]) yield v }
  *entries(): IterableIterator<[string, string]> { for (const [k, v] of [...this.#list]) yield [k, v] }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries() }
  toString(): string {
    return this.#list.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&')
  }

  static {
    replaceParams = (params, search) => {
      params.#list = parseQuery(search)
    }
  }
}


function parseQuery(query: string): [string, string][] {
  const text = query.startsWith('?') ? query.slice(1) : query
  const list: [string, string][] = []
  for (const sequence of text.split('&')) {
    if (sequence === '') continue
    const eq = sequence.indexOf('=')
    const name = eq < 0 ? sequence : sequence.slice(0, eq)
    const value = eq < 0 ? '' : sequence.slice(eq + 1)
    list.push([formDecode(name), formDecode(value)])
  }
  return list
}

function formDecode(text: string): string {
  const plus = text.replace(/\+/g, ' ')
  if (!plus.includes('%')) return plus
  const bytes = utf8Encode(plus)
  const decoded: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    if (byte === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]!) && isHex(bytes[i + 2]!)) {
      decoded.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16))
      i += 2
    } else {
      decoded.push(byte)
    }
  }
  return utf8Decode(new Uint8Array(decoded))
}

function isHex(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
}

/** application/x-www-form-urlencoded byte serializer (URL standard §5.2). */
function formEncode(text: string): string {
  if (/^[A-Za-z0-9*\-._]*$/.test(text)) return text
  let output = ''
  for (const byte of utf8Encode(text)) {
    if (byte === 0x20) output += '+'
    else if ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2a || byte === 0x2d || byte === 0x2e || byte === 0x5f) output += String.fromCharCode(byte)
    else output += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return output
}
