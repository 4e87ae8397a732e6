import { ClosedError, describeClose } from '../inbox.js'
import { formatMs, makePayload, percentile } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

const ROUND_TRIPS = 200
const TIME_LIMIT_MS = 5000

/** Round-trip time of small messages, one in flight at a time, as percentiles. */
export const latencyCheck: CheckDefinition = {
  id: 'latency',
  title: 'Latency',
  async run({ connect, progress }): Promise<CheckOutcome> {
    const samples: number[] = []
    const payload = makePayload(32, 'text')
    try {
      const { ws, inbox } = await connect('echo')
      const deadline = performance.now() + TIME_LIMIT_MS
      while (samples.length < ROUND_TRIPS && performance.now() < deadline) {
        if (samples.length % 50 === 0) progress(`${samples.length}/${ROUND_TRIPS}`)
        const started = performance.now()
        ws.send(payload, { binary: false })
        await inbox.next(5000)
        samples.push(performance.now() - started)
      }
      ws.close(1000)
    } catch (error) {
      const why = error instanceof ClosedError ? `connection closed ${describeClose(error.close)}` : errorText(error)
      return { status: 'fail', summary: 'failed', evidence: `after ${samples.length} round trips: ${why}` }
    }
    const sorted = [...samples].sort((a, b) => a - b)
    const [p50, p90, p99] = [50, 90, 99].map((p) => percentile(sorted, p)) as [number, number, number]
    return {
      status: 'pass',
      summary: `p50 ${formatMs(p50)} p99 ${formatMs(p99)}`,
      evidence: `${samples.length} round trips of 32 B: p50 ${formatMs(p50)}, p90 ${formatMs(p90)}, p99 ${formatMs(p99)}, max ${formatMs(sorted.at(-1)!)}`,
      metrics: { p50Ms: Number(p50.toFixed(3)), p90Ms: Number(p90.toFixed(3)), p99Ms: Number(p99.toFixed(3)), samples: samples.length },
    }
  },
}
