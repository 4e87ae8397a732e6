import type { Socket } from 'node:net'
import { HOP_BY_HOP } from './forwarded-headers.js'
import { ChunkedBodyEnd, CHUNKED_MALFORMED, CHUNKED_NEED_MORE } from './chunked-body-end.js'
import type { OriginResponse } from './origin-response-head.js'
import { copyOf, type OriginInput } from './origin-input.js'

/**
 * The head the client gets: status line and the origin's fields with their original case,
 * minus hop-by-hop ones. A 101 keeps Upgrade and Connection. Any other answer is relayed
 * with its body bytes unchanged, so its Transfer-Encoding (and Trailer) stay too, and it
 * gets Connection: close (the client connection ends with it).
 */
export function clientResponseHead(response: OriginResponse, statusMessage: string): string {
  const upgrade = response.statusCode === 101
  let head = `HTTP/1.1 ${response.statusCode} ${statusMessage}\r\n`
  const raw = response.rawHeaders
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!.toLowerCase()
    if (HOP_BY_HOP.has(name) && !(upgrade ? name === 'upgrade' || name === 'connection' : name === 'transfer-encoding' || name === 'trailer')) continue
    head += `${raw[index]}: ${raw[index + 1]}\r\n`
  }
  if (!upgrade) head += 'Connection: close\r\n'
  return `${head}\r\n`
}

/** How the end of a response body is found (RFC 9112 §6.3). */
type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked'; end: ChunkedBodyEnd } | { kind: 'close' }

function framingOf(response: OriginResponse): Framing {
  const status = response.statusCode
  if (status === 204 || status === 304) return { kind: 'none' }
  const coding = response.transferEncoding
  if (coding !== undefined) {
    // Chunked must be the last coding; otherwise the body runs until the connection closes.
    const last = coding.slice(coding.lastIndexOf(',') + 1).trim().toLowerCase()
    return last === 'chunked' ? { kind: 'chunked', end: new ChunkedBodyEnd() } : { kind: 'close' }
  }
  if (response.contentLength !== undefined) return response.contentLength === 0 ? { kind: 'none' } : { kind: 'length', left: response.contentLength }
  return { kind: 'close' }
}

/**
 * Relays the origin's non-101 answer (401, 403, 429, 503, …) to the client: the head, then
 * exactly the body's bytes as they came (chunked framing included), then the client
 * connection is ended and the origin connection closed. `body` holds bytes already read past
 * the head; the origin socket reads through `input`. `done` is called exactly once.
 */
export function passResponseThrough(response: OriginResponse, origin: Socket, input: OriginInput, body: Buffer, client: Socket, done: () => void): void {
  const framing = framingOf(response)
  let finished = false
  const finish = (complete: boolean): void => {
    if (finished) return
    finished = true
    origin.destroy()
    // An incomplete body must not look complete: the client sees the connection reset.
    if (complete) client.end()
    else client.destroy()
    done()
  }
  /** Writes the body's part of `chunk`; true once the body is complete. */
  const forward = (chunk: Buffer): boolean => {
    let used = chunk.length
    if (framing.kind === 'length') {
      used = Math.min(used, framing.left)
      framing.left -= used
    } else if (framing.kind === 'chunked') {
      const end = framing.end.push(chunk)
      if (end === CHUNKED_MALFORMED) {
        finish(false)
        return true
      }
      if (end !== CHUNKED_NEED_MORE) used = end
    }
    // Reads arrive in the shared buffer (origin-input.ts): the client gets a copy.
    if (used > 0 && !client.write(copyOf(used === chunk.length ? chunk : chunk.subarray(0, used)))) origin.pause()
    if (framing.kind === 'length' ? framing.left === 0 : framing.kind === 'chunked' && framing.end.done) {
      finish(true)
      return true
    }
    return false
  }
  client.write(clientResponseHead(response, response.statusMessage), 'latin1')
  if (framing.kind === 'none') return finish(true)
  if (body.length > 0 && forward(body)) return
  input.readTo((chunk) => { if (!finished) forward(chunk) })
  origin.on('end', () => finish(framing.kind === 'close'))
  origin.on('close', () => finish(framing.kind === 'close'))
  origin.on('error', () => finish(false))
  client.on('drain', () => origin.resume())
  client.on('close', () => finish(false))
  origin.resume()
}
