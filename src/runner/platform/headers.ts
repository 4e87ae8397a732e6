/** Headers (Fetch standard §5.2): lower-cased names, combined values, sorted iteration, Set-Cookie kept apart. */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function normalizeName(name: unknown): string {
  const text = String(name)
  if (!TOKEN.test(text)) throw new TypeError(`Invalid header name: "${text}"`)
  return text.toLowerCase()
}

function normalizeValue(value: unknown): string {
  // Strip leading/trailing HTTP whitespace; NUL, CR and LF are forbidden.
  const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')
  if (/[\0\r\n]/.test(text)) throw new TypeError(`Invalid header value: "${text}"`)
  return text
}

export type HeadersInit = Headers | Iterable<Iterable<string>> | Record<string, string> | [string, string][]

/** The wire form: every header once, Set-Cookie one entry per cookie. */
export let headersToWire: (headers: Headers) => [string, string][]
/** Builds Headers from trusted wire pairs (names lower-case, values valid). */
export let headersFromWire: (pairs: [string, string][]) => Headers

export class Headers {
  #map = new Map<string, string>()
  #cookies: string[] = []

  constructor(init?: HeadersInit) {
    if (init === undefined || init === null) return
    if (init instanceof Headers) {
      for (const [name, value] of init.#map) this.#map.set(name, value)
      this.#cookies = [...init.#cookies]
    } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<Iterable<string>>) {
        const items = [...pair]
        if (items.length !== 2) throw new TypeError('Headers: each header pair must have exactly two items')
        this.append(items[0]!, items[1]!)
      }
    } else if (typeof init === 'object') {
      for (const name of Object.keys(init)) this.append(name, (init as Record<string, string>)[name]!)
    } else {
      throw new TypeError('Headers: invalid init')
    }
  }

  append(name: string, value: string): void {
    const key = normalizeName(name)
    const text = normalizeValue(value)
    if (key === 'set-cookie') {
      this.#cookies.push(text)
      return
    }
    const existing = this.#map.get(key)
    this.#map.set(key, existing === undefined ? text : `${existing}, ${text}`)
  }

  delete(name: string): void {
    const key = normalizeName(name)
    if (key === 'set-cookie') this.#cookies = []
    else this.#map.delete(key)
  }

  get(name: string): string | null {
    const key = normalizeName(name)
    if (key === 'set-cookie') return this.#cookies.length === 0 ? null : this.#cookies.join(', ')
    return this.#map.get(key) ?? null
  }

  getSetCookie(): string[] {
    return [...this.#cookies]
  }

  /** Workers' older spelling of getSetCookie. */
  getAll(name: string): string[] {
    if (normalizeName(name) !== 'set-cookie') throw new TypeError('getAll() only supports Set-Cookie')
    return this.getSetCookie()
  }

  has(name: string): boolean {
    const key = normalizeName(name)
    return key === 'set-cookie' ? this.#cookies.length > 0 : this.#map.has(key)
  }

  set(name: string, value: string): void {
    const key = normalizeName(name)
    const text = normalizeValue(value)
    if (key === 'set-cookie') this.#cookies = [text]
    else this.#map.set(key, text)
  }

  forEach(callback: (value: string, name: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this)
  }

  *entries(): IterableIterator<[string, string]> {
    const names = [...this.#map.keys()]
    if (this.#cookies.length > 0) names.push('set-cookie')
    names.sort()
    for (const name of names) {
      if (name === 'set-cookie') for (const cookie of this.#cookies) yield ['set-cookie', cookie]
      else yield [name, this.#map.get(name)!]
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }

  static {
    headersToWire = (headers) => {
      const list: [string, string][] = [...headers.#map]
      for (const cookie of headers.#cookies) list.push(['set-cookie', cookie])
      return list
    }
    headersFromWire = (pairs) => {
      const headers = new Headers()
      for (const [name, value] of pairs) {
        const key = name.toLowerCase()
        if (key === 'set-cookie') headers.#cookies.push(value)
        else {
          const existing = headers.#map.get(key)
          headers.#map.set(key, existing === undefined ? value : `${existing}, ${value}`)
        }
      }
      return headers
    }
  }
}

