import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { ErrorCode } from '../errors.js'

/** The GUID appended to Sec-WebSocket-Key before hashing (RFC 6455 §1.3, §4.2.2). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/**
 * 16 bytes in base64 are 22 characters and "==" (RFC 6455 §4.1 item 7). Like ws, the unused
 * low bits of the last character are not checked: lenient decoders still read 16 bytes.
 */
const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/

export type UpgradeValidation =
  | { ok: true; key: string; version: 13 }
  | {
      ok: false
      code: ErrorCode
      detail: string
      /** Headers the refusal must carry (426 advertises the supported version, §4.4). */
      headers?: Readonly<Record<string, string>>
    }

type HeaderValue = string | string[] | undefined

function fail(code: ErrorCode, detail: string): UpgradeValidation {
  return { ok: false, code, detail }
}

/**
 * The comma-separated elements of a list header (RFC 9110 §5.6.1), trimmed, empty elements
 * dropped, case kept (callers compare case-insensitively where the field's tokens are).
 * Repeated header lines (an array) are one list.
 */
export function parseHeaderList(value: HeaderValue): string[] {
  if (value === undefined) return []
  const joined = Array.isArray(value) ? value.join(',') : value
  const items: string[] = []
  for (const part of joined.split(',')) {
    const item = part.trim()
    if (item !== '') items.push(item)
  }
  return items
}

function listHasToken(value: HeaderValue, token: string): boolean {
  return parseHeaderList(value).some((item) => item.toLowerCase() === token)
}

/** Sec-WebSocket-Accept for a client key (RFC 6455 §4.2.2 item 5.4). */
export function computeAcceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')
}

/**
 * Checks a client's opening handshake (RFC 6455 §4.2.1). Version is checked before the key
 * so that clients of another protocol version learn which one we speak (§4.4).
 */
export function validateUpgradeRequest(method: string, headers: IncomingHttpHeaders): UpgradeValidation {
  if (method !== 'GET') return fail('WEDGE_BAD_UPGRADE_METHOD', `method ${method}`)
  // Upgrade elements are protocol names with an optional "/version" (RFC 9110 §7.8).
  const upgrade = parseHeaderList(headers.upgrade).map((item) => item.split('/')[0]!.trim().toLowerCase())
  if (!upgrade.includes('websocket')) {
    return fail('WEDGE_BAD_UPGRADE_HEADER', `Upgrade: ${headers.upgrade ?? '(missing)'}`)
  }
  if (!listHasToken(headers.connection, 'upgrade')) {
    return fail('WEDGE_BAD_CONNECTION_HEADER', `Connection: ${headers.connection ?? '(missing)'}`)
  }
  const version = headers['sec-websocket-version']
  if (typeof version !== 'string' || version.trim() !== '13') {
    return {
      ok: false,
      code: 'WEDGE_BAD_WEBSOCKET_VERSION',
      detail: `Sec-WebSocket-Version: ${version ?? '(missing)'}`,
      headers: { 'Sec-WebSocket-Version': '13' },
    }
  }
  const key = headers['sec-websocket-key']
  if (typeof key !== 'string' || !KEY_PATTERN.test(key.trim())) {
    return fail('WEDGE_BAD_WEBSOCKET_KEY', `Sec-WebSocket-Key: ${key ?? '(missing)'}`)
  }
  return { ok: true, key: key.trim(), version: 13 }
}

export interface Extension {
  /** Extension token, lower-cased (tokens are case-insensitive, RFC 6455 §9.1). */
  name: string
  /** Parameter names lower-cased; a parameter without a value is `true`. Quotes removed. */
  params: Record<string, string | true>
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/

/**
 * Parses Sec-WebSocket-Extensions (RFC 6455 §9.1 grammar; quoted-string values per
 * RFC 9110 §5.6.4). Throws SyntaxError on malformed input.
 */
export function parseExtensions(header: string): Extension[] {
  const extensions: Extension[] = []
  let i = 0
  const skipSpace = (): void => {
    while (header[i] === ' ' || header[i] === '\t') i++
  }
  const token = (what: string): string => {
    const start = i
    while (i < header.length && TOKEN_CHAR.test(header[i]!)) i++
    if (i === start) throw new SyntaxError(`expected ${what} at offset ${start} in "${header}"`)
    return header.slice(start, i)
  }
  const quoted = (): string => {
    let value = ''
    i++ // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\') i++ // quoted-pair: take the next character literally
      value += header[i] ?? ''
      i++
    }
    if (header[i] !== '"') throw new SyntaxError(`unterminated quoted string in "${header}"`)
    i++
    return value
  }
  for (;;) {
    skipSpace()
    if (i >= header.length) break
    if (header[i] === ',') { i++; continue } // empty list elements are allowed (RFC 9110 §5.6.1)
    const extension: Extension = { name: token('extension name').toLowerCase(), params: {} }
    extensions.push(extension)
    for (skipSpace(); header[i] === ';'; skipSpace()) {
      i++
      skipSpace()
      const name = token('parameter name').toLowerCase()
      skipSpace()
      let value: string | true = true
      if (header[i] === '=') {
        i++
        skipSpace()
        value = header[i] === '"' ? quoted() : token('parameter value')
      }
      extension.params[name] = value
    }
    if (i < header.length && header[i] !== ',') throw new SyntaxError(`unexpected "${header[i]}" at offset ${i} in "${header}"`)
  }
  return extensions
}

/** RSV bits of the first frame byte (RFC 6455 §5.2). */
const RSV1 = 0x40
const ALL_RSV = 0x70

/**
 * Which RSV bits the extensions an origin accepted in its 101 allow on the first frame of a
 * message: permessage-deflate uses RSV1 (RFC 7692 §6); any other (or an unparseable header)
 * allows all three, since the edge cannot know what it means and must not break it.
 */
export function extensionRsvMask(extensionsHeaderFromOrigin101: string | undefined): number {
  if (extensionsHeaderFromOrigin101 === undefined || extensionsHeaderFromOrigin101.trim() === '') return 0
  let extensions: Extension[]
  try {
    extensions = parseExtensions(extensionsHeaderFromOrigin101)
  } catch {
    return ALL_RSV
  }
  let mask = 0
  for (const extension of extensions) mask |= extension.name === 'permessage-deflate' ? RSV1 : ALL_RSV
  return mask
}
