import { ClosedError, describeClose } from '../inbox.js'
import { makePayload, sha256 } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

const FRAGMENTS = 4
const FRAGMENT_SIZE = 16 * 1024

/**
 * RFC 6455 §5.4: a message split over several frames, with a control frame (ping) allowed
 * between fragments, must arrive as the same message; the origin also replies in fragments.
 */
export const fragmentsCheck: CheckDefinition = {
  id: 'fragments',
  title: 'Fragmented messages',
  async run({ connect, progress }): Promise<CheckOutcome> {
    let connected
    try {
      connected = await connect('echo', { query: { fragments: FRAGMENTS } })
    } catch (error) {
      return { status: 'fail', summary: 'no connection', evidence: `could not connect: ${errorText(error)}` }
    }
    const { ws, inbox } = connected
    let pongs = 0
    ws.on('pong', () => pongs++)
    const notes: string[] = []
    for (const kind of ['text', 'binary'] as const) {
      progress(`${kind} in ${FRAGMENTS} fragments`)
      const payload = makePayload(FRAGMENT_SIZE * FRAGMENTS, kind)
      for (let index = 0; index < FRAGMENTS; index++) {
        ws.send(payload.subarray(index * FRAGMENT_SIZE, (index + 1) * FRAGMENT_SIZE), { binary: kind === 'binary', fin: index === FRAGMENTS - 1 })
        if (index === 1) ws.ping(Buffer.from('between-fragments'))
      }
      try {
        const reply = await inbox.next(10_000)
        const intact = reply.binary === (kind === 'binary') && sha256(reply.data) === sha256(payload)
        if (!intact) return { status: 'fail', summary: `${kind} altered`, evidence: `${kind} 64 KiB sent in ${FRAGMENTS} fragments came back altered (${reply.data.length} B, ${reply.binary ? 'binary' : 'text'})` }
      } catch (error) {
        const why = error instanceof ClosedError ? `connection closed ${describeClose(error.close)}` : errorText(error)
        return { status: 'fail', summary: `${kind} lost`, evidence: `${kind} 64 KiB sent in ${FRAGMENTS} fragments with a ping between: ${why}` }
      }
      notes.push(`${kind} intact`)
    }
    ws.close(1000)
    return {
      status: 'pass',
      summary: 'intact',
      evidence: `64 KiB sent in ${FRAGMENTS} fragments with a ping between fragments 2 and 3, echoed by the origin in ${FRAGMENTS} fragments: ${notes.join(', ')}; ${pongs} pong`,
    }
  },
}
