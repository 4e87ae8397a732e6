/**
 * The one host callback an isolate's platform holds. Every operation takes copies and
 * returns copies (isolated-vm copies both ways); nothing of the host is reachable through it.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { deserialize, serialize } from 'node:v8'
import type { HostOp, SocketRecord } from './isolate-messages.js'

const HASHES = new Set(['sha1', 'sha256', 'sha384', 'sha512', 'md5'])
const MAX_RANDOM_BYTES = 65_536
const encoder = new TextEncoder()
const decoders = new Map<string, TextDecoder>()

/** An exact-size Uint8Array: isolated-vm copies a view's whole underlying buffer. */
function exact(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes)
}

function bytesArg(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} must be bytes`)
  return value
}

function hashArg(value: unknown): string {
  if (typeof value !== 'string' || !HASHES.has(value)) throw new TypeError('unsupported hash')
  return value
}

function urlParts(url: URL): Record<string, string> {
  const { href, origin, protocol, username, password, host, hostname, port, pathname, search, hash } = url
  return { href, origin, protocol, username, password, host, hostname, port, pathname, search, hash }
}

const URL_SETTERS = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'])

function decode(bytes: Uint8Array, fatal: boolean, ignoreBOM: boolean): string {
  const key = `${fatal}${ignoreBOM}`
  let decoder = decoders.get(key)
  if (decoder === undefined) {
    decoder = new TextDecoder('utf-8', { fatal, ignoreBOM })
    decoders.set(key, decoder)
  }
  return decoder.decode(bytes)
}

export function createHostFunction(appId: string, sockets: (className: string, objectId: string) => SocketRecord[] | null) {
  return (op: HostOp, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown => {
    switch (op) {
      case 'serialize': return exact(serialize(a))
      case 'deserialize': return deserialize(bytesArg(a, 'value'))
      case 'deserialize-many': return (a as unknown[]).map((item) => deserialize(bytesArg(item, 'value')))
      case 'clone': return a
      case 'random': {
        const length = Number(a)
        if (!Number.isInteger(length) || length < 0 || length > MAX_RANDOM_BYTES) throw new RangeError('invalid random length')
        return exact(randomBytes(length))
      }
      case 'uuid': return randomUUID()
      case 'digest': return exact(createHash(hashArg(a)).update(bytesArg(b, 'data')).digest())
      case 'hmac-sign': return exact(createHmac(hashArg(a), bytesArg(b, 'key')).update(bytesArg(c, 'data')).digest())
      case 'hmac-verify': {
        const expected = createHmac(hashArg(a), bytesArg(b, 'key')).update(bytesArg(d, 'data')).digest()
        const signature = bytesArg(c, 'signature')
        return signature.length === expected.length && timingSafeEqual(signature, expected)
      }
      case 'object-id': return createHmac('sha256', `${appId}/${String(a)}`).update(String(b)).digest('hex')
      case 'url-parse': {
        try {
          return urlParts(b === undefined ? new URL(String(a)) : new URL(String(a), String(b)))
        } catch {
          return null
        }
      }
      case 'url-set': {
        if (!URL_SETTERS.has(String(b))) throw new TypeError('invalid URL property')
        try {
          if (b === 'href') return urlParts(new URL(String(c)))
          const url = new URL(String(a))
          ;(url as unknown as Record<string, string>)[String(b)] = String(c)
          return urlParts(url)
        } catch {
          return null
        }
      }
      case 'utf8-encode': return encoder.encode(String(a))
      case 'utf8-decode': return decode(bytesArg(a, 'input'), Boolean(b), Boolean(c))
      case 'sockets': return sockets(String(a), String(b))
      default: throw new TypeError(`unknown host operation ${String(op)}`)
    }
  }
}
