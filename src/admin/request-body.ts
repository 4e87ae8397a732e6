import type { IncomingMessage } from 'node:http'
import { formatSize } from '../config/units.js'
import { AdminError } from './admin-errors.js'

/** The admin API's default body limit: a bundle and its modules, base64-encoded. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024

/**
 * Reads a JSON request body. 415 for another content type, 413 as soon as Content-Length or
 * the bytes received pass `limit` (nothing more is buffered), 400 for invalid JSON. An empty
 * body is `undefined`.
 */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const type = request.headers['content-type']
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new AdminError('WEDGE_ADMIN_UNSUPPORTED_MEDIA_TYPE', `expected Content-Type: application/json, got ${JSON.stringify(type)}`)
  }
  const declared = request.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
  const chunks: Buffer[] = []
  let received = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.byteLength
    if (received > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  if (received === 0) return undefined
  const text = Buffer.concat(chunks, received).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `invalid JSON body: ${(error as Error).message}`)
  }
}

function tooLarge(limit: number): AdminError {
  return new AdminError('WEDGE_ADMIN_BODY_TOO_LARGE', `request body exceeds the ${formatSize(limit)} limit`)
}
