import assert from 'node:assert/strict'
import type WebSocket from 'ws'
import { connect, nextMessage } from '../helpers/ws-client.js'

/** What `connect()` rejects with when the edge or origin answers a handshake without 101. */
export interface Refusal {
  status?: number
  body?: string
  headers?: Record<string, string | string[] | undefined>
}

/** Resolves with the refusal a `connect()` rejected with; fails the test if it opened. */
export function refusal(opening: Promise<WebSocket>): Promise<Refusal> {
  return opening.then(
    (ws) => {
      ws.terminate()
      return assert.fail('the handshake should have been refused')
    },
    (error: Refusal) => error,
  )
}

/** One complete client session: open, check one echo, close. */
export async function session(url: string): Promise<void> {
  const ws = await connect(url)
  try {
    ws.send('ping?')
    assert.equal((await nextMessage(ws)).data.toString(), 'ping?')
  } finally {
    ws.terminate()
  }
}
