import { makeCompressibleText } from '../payload.js'
import { roundTrip } from '../round-trip.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

const SAMPLE_SIZE = 256 * 1024

interface HandshakeInfo {
  offeredExtensions: string | null
  negotiatedExtensions: string
}

function verdict(client: string, info: HandshakeInfo): Pick<CheckOutcome, 'status' | 'summary'> & { note: string } {
  const atClient = client.includes('permessage-deflate')
  const atOrigin = info.negotiatedExtensions.includes('permessage-deflate')
  const offerReached = (info.offeredExtensions ?? '').includes('permessage-deflate')
  if (atClient && atOrigin) return { status: 'pass', summary: 'end to end', note: 'negotiated end to end' }
  if (atClient) return { status: 'pass', summary: 'edge only', note: 'negotiated with the path only (hop by hop); the origin leg is uncompressed' }
  if (offerReached && atOrigin) return { status: 'fail', summary: 'answer lost', note: 'the origin accepted but the path dropped its answer' }
  if (offerReached) return { status: 'fail', summary: 'declined', note: 'the offer reached the origin but was not accepted' }
  return { status: 'fail', summary: 'stripped', note: 'the path stripped the offer before the origin' }
}

/** RFC 7692: permessage-deflate offered by the client, negotiated through the path, and round-tripped. */
export const deflateCheck: CheckDefinition = {
  id: 'deflate',
  title: 'permessage-deflate',
  async run({ connect }): Promise<CheckOutcome> {
    let client: string
    let info: HandshakeInfo
    let echo: string | undefined
    try {
      const { ws, inbox, responseHeaders } = await connect('info', { deflate: true })
      client = String(responseHeaders['sec-websocket-extensions'] ?? '')
      info = await inbox.nextJson<HandshakeInfo>(10_000)
      echo = await roundTrip(ws, inbox, makeCompressibleText(SAMPLE_SIZE), false, 10_000)
      ws.close(1000)
    } catch (error) {
      return { status: 'fail', summary: 'no connection', evidence: `connection with a permessage-deflate offer failed: ${errorText(error)}` }
    }
    const { status, summary, note } = verdict(client, info)
    const evidence =
      `${note}; origin received ${info.offeredExtensions ? `'${info.offeredExtensions}'` : 'no offer'}, ` +
      `client got ${client ? `'${client}'` : 'no extension'}; ` +
      `256 KiB compressible text ${echo ? `failed: ${echo}` : 'echoed intact'}`
    return {
      status: echo ? 'fail' : status,
      summary: echo ? 'echo failed' : summary,
      evidence,
      metrics: { client: client || null, origin: info.negotiatedExtensions || null },
    }
  },
}
