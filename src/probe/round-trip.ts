import type { WebSocket } from 'ws'
import { ClosedError, describeClose, type Inbox } from './inbox.js'
import { formatBytes, sha256 } from './payload.js'

/**
 * Sends one message to an echo endpoint and checks what comes back: type, length, SHA-256.
 * Returns undefined when intact, else what went wrong in words for the evidence.
 */
export async function roundTrip(
  ws: WebSocket,
  inbox: Inbox,
  payload: Buffer,
  binary: boolean,
  timeoutMs: number,
): Promise<string | undefined> {
  const expected = sha256(payload)
  ws.send(payload, { binary })
  try {
    const reply = await inbox.next(timeoutMs)
    if (reply.binary !== binary) return `came back as ${reply.binary ? 'binary' : 'text'}`
    if (reply.data.length !== payload.length) return `came back as ${formatBytes(reply.data.length)}`
    if (sha256(reply.data) !== expected) return 'came back with a different sha256'
    return undefined
  } catch (error) {
    if (error instanceof ClosedError) return `connection closed ${describeClose(error.close)}`
    return error instanceof Error ? error.message : String(error)
  }
}
