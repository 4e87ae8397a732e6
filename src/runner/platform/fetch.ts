/** Global fetch(): an outbound request becomes an `rpc {op:'fetch'}`; the gateway enforces the allow list. */
import { current, rpc } from './host-link.js'
import { Request, requestToWire } from './request.js'
import { responseFromWire, type Response } from './response.js'
import type { WireResponse } from '../../runtime/runner-protocol.js'

export async function fetch(input: unknown, init?: Record<string, unknown>): Promise<Response> {
  // Captured before the first await: the owner is known only while code runs synchronously.
  const owner = current()
  const request = new Request(input, init)
  const wire = await requestToWire(request)
  // A client's pending upgrade socket never leaves with an outbound request.
  delete wire.upgradeSocketId
  let answer: WireResponse
  try {
    answer = (await rpc({ op: 'fetch', request: wire }, owner)) as WireResponse
  } catch (error) {
    throw new TypeError(`fetch failed: ${(error as Error).message}`)
  }
  return responseFromWire(answer, request.url, null)
}
