import type { WebSocket } from 'ws'
import type { Inbox } from '../inbox.js'
import { formatMs, makePayload, percentile } from '../payload.js'
import { roundTrip } from '../round-trip.js'
import type { CheckOutcome } from '../types.js'
import { errorText, sleep, type CheckContext, type CheckDefinition } from './check.js'

/** Handshakes in flight at once, so the check measures the path's limit, not a SYN flood. */
const OPENING_AT_ONCE = 20
const HOLD_MS = 1000

interface Opened {
  ws: WebSocket
  inbox: Inbox
}

async function openAll(context: CheckContext, limit: number, times: number[], failures: string[]): Promise<Opened[]> {
  const opened: Opened[] = []
  const payload = makePayload(16, 'text')
  let next = 0
  async function worker(): Promise<void> {
    while (next < limit && !context.signal.aborted) {
      const index = next++
      try {
        const connected = await context.connect('echo', { timeoutMs: 15_000 })
        times.push(connected.handshakeMs)
        const problem = await roundTrip(connected.ws, connected.inbox, payload, false, 10_000)
        if (problem) failures.push(`#${index + 1} ${problem}`)
        else opened.push({ ws: connected.ws, inbox: connected.inbox })
      } catch (error) {
        failures.push(`#${index + 1} ${errorText(error)}`)
      }
      if (index % 20 === 0) context.progress(`${opened.length}/${limit} open`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, limit) }, worker))
  return opened
}

/** Opens --concurrency connections, holds them all open, and echoes on each again while they are. */
export const concurrencyCheck: CheckDefinition = {
  id: 'concurrency',
  title: 'Concurrent connections',
  async run(context): Promise<CheckOutcome> {
    const limit = context.options.concurrency
    const times: number[] = []
    const failures: string[] = []
    const opened = await openAll(context, limit, times, failures)
    context.progress(`holding ${opened.length} open`)
    await sleep(HOLD_MS, context.signal)
    const payload = makePayload(16, 'text')
    const second = await Promise.all(opened.map(({ ws, inbox }) => roundTrip(ws, inbox, payload, false, 10_000)))
    const lost = second.filter(Boolean).length
    for (const { ws } of opened) ws.close(1000)
    const sorted = [...times].sort((a, b) => a - b)
    const handshake = sorted.length ? `; handshake p50 ${formatMs(percentile(sorted, 50))}, p99 ${formatMs(percentile(sorted, 99))}` : ''
    const held = opened.length - lost
    const metrics = { limit, held }
    if (held === limit) {
      return { status: 'pass', summary: `${held}/${limit}`, evidence: `${held}/${limit} connections open at once, each echoed before and after a ${HOLD_MS} ms hold${handshake}`, metrics }
    }
    const first = failures[0] ?? second.find(Boolean) ?? 'unknown'
    return {
      status: 'fail',
      summary: `${held}/${limit}`,
      evidence: `${held}/${limit} held open (${failures.length} failed to open, ${lost} lost during the hold); first failure: ${first}${handshake}`,
      metrics,
    }
  },
}
