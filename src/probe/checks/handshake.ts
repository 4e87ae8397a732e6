import { ConnectError } from '../connection.js'
import { formatMs, percentile } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

const ATTEMPTS = 5

function refused(error: unknown, attempt: number): CheckOutcome {
  const status = error instanceof ConnectError ? error.status : undefined
  return {
    status: 'fail',
    summary: status ? `HTTP ${status}` : 'no connection',
    evidence: `attempt ${attempt} of ${ATTEMPTS} to /echo failed: ${errorText(error)}`,
    metrics: { status: status ?? null, ms: null },
  }
}

/** RFC 6455 §4.1: the upgrade must come back 101; timed over ATTEMPTS fresh connections. */
export const handshakeCheck: CheckDefinition = {
  id: 'handshake',
  title: 'Handshake',
  async run({ connect, progress }) {
    const times: number[] = []
    let lastHeaders: Record<string, unknown> = {}
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      progress(`attempt ${attempt}/${ATTEMPTS}`)
      try {
        const connected = await connect('echo')
        times.push(connected.handshakeMs)
        lastHeaders = connected.responseHeaders
        connected.ws.close(1000)
      } catch (error) {
        return refused(error, attempt)
      }
    }
    const sorted = [...times].sort((a, b) => a - b)
    const median = percentile(sorted, 50)
    const notes = ['server', 'via'].filter((name) => lastHeaders[name]).map((name) => `; ${name}: ${String(lastHeaders[name])}`)
    return {
      status: 'pass',
      summary: `101 in ${formatMs(median)}`,
      evidence: `${ATTEMPTS} × HTTP 101, median ${formatMs(median)}, max ${formatMs(sorted.at(-1)!)}${notes.join('')}`,
      metrics: { status: 101, ms: Number(median.toFixed(2)), maxMs: Number(sorted.at(-1)!.toFixed(2)) },
    }
  },
}
