/**
 * Web Crypto subset: getRandomValues, randomUUID, subtle.digest (SHA-1/256/384/512, MD5 as in
 * Workers), HMAC importKey/generateKey/exportKey/sign/verify, and Workers' timingSafeEqual.
 * The work is done by the runner (node:crypto) on copies.
 */
import { copyBytes, isBufferSource, toArrayBuffer, viewBytes } from './bytes.js'
import { DOMException } from './dom-exception.js'
import { host } from './host-link.js'

const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5' }
const BLOCK_BITS: Record<string, number> = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024, MD5: 512 }

function algorithmName(algorithm: unknown): string {
  const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: unknown } | null)?.name
  if (typeof name !== 'string') throw new TypeError('Algorithm: name is required')
  return name.toUpperCase()
}

function hashName(algorithm: unknown): string {
  const name = algorithmName(algorithm)
  if (HASHES[name] === undefined) throw new DOMException(`Unrecognized hash: ${name}`, 'NotSupportedError')
  return name
}

function bufferSource(data: unknown, what: string): Uint8Array {
  if (!isBufferSource(data)) throw new TypeError(`${what} must be an ArrayBuffer or ArrayBufferView`)
  return copyBytes(data)
}

const keyData = new WeakMap<CryptoKey, Uint8Array>()
let constructing = false

export class CryptoKey {
  readonly type = 'secret'
  readonly extractable: boolean
  readonly algorithm: { name: 'HMAC'; hash: { name: string }; length: number }
  readonly usages: string[]
  constructor(hash: string, bytes: Uint8Array, extractable: boolean, usages: string[]) {
    if (!constructing) throw new TypeError('Illegal constructor')
    constructing = false
    this.extractable = extractable
    this.algorithm = { name: 'HMAC', hash: { name: hash }, length: bytes.length * 8 }
    this.usages = usages
    keyData.set(this, bytes)
  }
}

function hmacKey(key: unknown, usage: string): { hash: string; bytes: Uint8Array } {
  if (!(key instanceof CryptoKey)) throw new TypeError('key must be a CryptoKey')
  if (!key.usages.includes(usage)) throw new DOMException(`key does not allow "${usage}"`, 'InvalidAccessError')
  return { hash: key.algorithm.hash.name, bytes: keyData.get(key)! }
}

function newKey(algorithm: unknown, bytes: Uint8Array, extractable: boolean, usages: unknown): CryptoKey {
  if (algorithmName(algorithm) !== 'HMAC') throw new DOMException(`Unsupported algorithm: ${algorithmName(algorithm)} (HMAC only)`, 'NotSupportedError')
  const hash = hashName((algorithm as { hash?: unknown }).hash)
  const list = [...(usages as Iterable<unknown>)].map(String)
  for (const usage of list) if (usage !== 'sign' && usage !== 'verify') throw new SyntaxError(`Invalid HMAC key usage: ${usage}`)
  constructing = true
  return new CryptoKey(hash, bytes, Boolean(extractable), list)
}

/** Runs fn and turns a synchronous throw into a rejection, as Web Crypto methods do. */
function promised<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    return Promise.reject(error)
  }
}

export class SubtleCrypto {
  digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    return promised(() => toArrayBuffer(host<Uint8Array>('digest', HASHES[hashName(algorithm)], bufferSource(data, 'data'))))
  }

  importKey(format: string, data: unknown, algorithm: unknown, extractable: boolean, usages: unknown): Promise<CryptoKey> {
    return promised(() => {
      if (format !== 'raw') throw new DOMException(`Unsupported key format: ${format} (raw only)`, 'NotSupportedError')
      const bytes = bufferSource(data, 'keyData')
      if (bytes.length === 0) throw new DOMException('HMAC key must not be empty', 'DataError')
      return newKey(algorithm, bytes, extractable, usages)
    })
  }

  generateKey(algorithm: unknown, extractable: boolean, usages: unknown): Promise<CryptoKey> {
    return promised(() => {
      const hash = hashName((algorithm as { hash?: unknown }).hash)
      const length = Number((algorithm as { length?: unknown }).length ?? BLOCK_BITS[hash])
      return newKey(algorithm, host<Uint8Array>('random', Math.ceil(length / 8)), extractable, usages)
    })
  }

  exportKey(format: string, key: unknown): Promise<ArrayBuffer> {
    return promised(() => {
      if (format !== 'raw') throw new DOMException(`Unsupported key format: ${format} (raw only)`, 'NotSupportedError')
      if (!(key instanceof CryptoKey)) throw new TypeError('key must be a CryptoKey')
      if (!key.extractable) throw new DOMException('key is not extractable', 'InvalidAccessError')
      return toArrayBuffer(keyData.get(key)!.slice())
    })
  }

  sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return promised(() => {
      if (algorithmName(algorithm) !== 'HMAC') throw new DOMException('Only HMAC is supported', 'NotSupportedError')
      const { hash, bytes } = hmacKey(key, 'sign')
      return toArrayBuffer(host<Uint8Array>('hmac-sign', HASHES[hash], bytes, bufferSource(data, 'data')))
    })
  }

  verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    return promised(() => {
      if (algorithmName(algorithm) !== 'HMAC') throw new DOMException('Only HMAC is supported', 'NotSupportedError')
      const { hash, bytes } = hmacKey(key, 'verify')
      return host<boolean>('hmac-verify', HASHES[hash], bytes, bufferSource(signature, 'signature'), bufferSource(data, 'data'))
    })
  }

  /** Workers extension: constant-time comparison of equal-length buffers. */
  timingSafeEqual(a: unknown, b: unknown): boolean {
    const left = viewBytes(a as ArrayBuffer)
    const right = viewBytes(b as ArrayBuffer)
    if (left.length !== right.length) throw new TypeError('timingSafeEqual: buffers must have the same length')
    let diff = 0
    for (let i = 0; i < left.length; i++) diff |= left[i]! ^ right[i]!
    return diff === 0
  }
}

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]

export class Crypto {
  readonly subtle = new SubtleCrypto()

  getRandomValues<T extends ArrayBufferView>(array: T): T {
    if (!INTEGER_ARRAYS.some((type) => array instanceof type)) {
      throw new DOMException('getRandomValues: an integer typed array is required', 'TypeMismatchError')
    }
    if (array.byteLength > 65536) throw new DOMException('getRandomValues: at most 65536 bytes', 'QuotaExceededError')
    viewBytes(array).set(host<Uint8Array>('random', array.byteLength))
    return array
  }

  randomUUID(): string {
    return host<string>('uuid')
  }
}
