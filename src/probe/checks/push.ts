import { ClosedError, describeClose } from '../inbox.js'
import { formatMs } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

const COUNT = 10
const EVERY_MS = 100

/**
 * Server-initiated messages on a schedule (`/tick`): all must arrive, in order, and spread out
 * as sent; a path that buffers downstream data delivers them in a burst.
 */
export const pushCheck: CheckDefinition = {
  id: 'push',
  title: 'Server push',
  async run({ connect }): Promise<CheckOutcome> {
    const arrivals: number[] = []
    try {
      const { ws, inbox } = await connect('tick', { query: { every: EVERY_MS, count: COUNT } })
      for (let index = 0; index < COUNT; index++) {
        const tick = await inbox.next(EVERY_MS * 20)
        const { seq } = JSON.parse(tick.data.toString()) as { seq: number }
        if (seq !== index) return { status: 'fail', summary: 'out of order', evidence: `tick ${index} arrived as seq ${seq}` }
        arrivals.push(tick.at)
      }
      ws.close(1000)
    } catch (error) {
      const why = error instanceof ClosedError ? `connection closed ${describeClose(error.close)}` : errorText(error)
      return { status: 'fail', summary: `${arrivals.length}/${COUNT}`, evidence: `${arrivals.length}/${COUNT} ticks arrived, then ${why}` }
    }
    const span = arrivals.at(-1)! - arrivals[0]!
    const expected = EVERY_MS * (COUNT - 1)
    const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]!)
    const maxGap = Math.max(...gaps)
    const spread = span >= expected / 2
    return {
      status: spread ? 'pass' : 'fail',
      summary: spread ? `gap ≤ ${formatMs(maxGap)}` : 'buffered',
      evidence: `${COUNT}/${COUNT} ticks sent every ${EVERY_MS} ms arrived in order over ${formatMs(span)} (max gap ${formatMs(maxGap)})${spread ? '' : ': delivered in a burst, the path buffers'}`,
      metrics: { spanMs: Math.round(span), maxGapMs: Math.round(maxGap) },
    }
  },
}
