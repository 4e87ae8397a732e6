import { formatMs, makePayload, percentile } from '../payload.js'
import { roundTrip } from '../round-trip.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckContext, type CheckDefinition } from './check.js'

const CYCLES = 3

/** Closes one connection (by the client or by the origin with 1001) and times a working replacement. */
async function cycle(context: CheckContext, closer: 'client' | 'origin'): Promise<number> {
  const payload = makePayload(64, 'text')
  const first = closer === 'client'
    ? await context.connect('echo')
    : await context.connect('close', { query: { code: 1001, reason: 'restarting', delay: 50 } })
  const { inbox } = first
  if (closer === 'client') {
    const problem = await roundTrip(first.ws, inbox, payload, false, 10_000)
    if (problem) throw new Error(`echo before close: ${problem}`)
    first.ws.close(1000)
  }
  const close = await inbox.closed(10_000)
  if (!close) throw new Error(`no close from the ${closer} side within 10 s`)
  const started = performance.now()
  const second = await context.connect('echo')
  const problem = await roundTrip(second.ws, second.inbox, payload, false, 10_000)
  if (problem) throw new Error(`echo after reconnect: ${problem}`)
  const elapsed = performance.now() - started
  second.ws.close(1000)
  return elapsed
}

/** A client that reconnects after a close, as every real client does, gets a working connection. */
export const reconnectCheck: CheckDefinition = {
  id: 'reconnect',
  title: 'Reconnect after close',
  async run(context): Promise<CheckOutcome> {
    const times: number[] = []
    for (let index = 0; index < CYCLES; index++) {
      for (const closer of ['client', 'origin'] as const) {
        context.progress(`cycle ${index + 1}/${CYCLES}, ${closer} close`)
        try {
          times.push(await cycle(context, closer))
        } catch (error) {
          return { status: 'fail', summary: 'failed', evidence: `cycle ${index + 1}, after ${closer} close: ${errorText(error)}` }
        }
      }
    }
    const sorted = times.sort((a, b) => a - b)
    const p50 = percentile(sorted, 50)
    return {
      status: 'pass',
      summary: `${formatMs(p50)}`,
      evidence: `${CYCLES} × (client close 1000, origin close 1001 'restarting'): each reconnected and echoed; reconnect+echo p50 ${formatMs(p50)}, max ${formatMs(sorted.at(-1)!)}`,
      metrics: { p50Ms: Number(p50.toFixed(2)) },
    }
  },
}
