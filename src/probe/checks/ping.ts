import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import { formatMs, percentile } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckContext, type CheckDefinition } from './check.js'

const PINGS = 5
const ORIGIN_PINGS = 3

interface OriginReport {
  pingsReceived?: number
  pingsSent?: number
  pongsReceived?: number
  missing?: boolean
}

/** One ping with a unique payload; resolves with the round trip, or a description of what went wrong. */
function pingOnce(ws: WebSocket, index: number, timeoutMs: number): Promise<number | string> {
  const payload = `probe-${index}-${randomUUID().slice(0, 8)}`
  const started = performance.now()
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(`ping ${index + 1}: no pong within ${timeoutMs} ms`), timeoutMs)
    function onPong(data: Buffer): void {
      finish(data.toString() === payload ? performance.now() - started : `ping ${index + 1}: pong carried '${data.toString()}', expected '${payload}'`)
    }
    function finish(result: number | string): void {
      clearTimeout(timer)
      ws.off('pong', onPong)
      resolve(result)
    }
    ws.on('pong', onPong)
    ws.ping(payload)
  })
}

async function originReport(context: CheckContext, id: string): Promise<OriginReport> {
  const { inbox } = await context.connect('report', { query: { id, wait: 3000 } })
  return inbox.nextJson<OriginReport>(5000)
}

/** RFC 6455 §5.5.2–5.5.3: pings answered with the same payload, both from the client and from the origin. */
export const pingCheck: CheckDefinition = {
  id: 'ping',
  title: 'Ping/pong',
  async run(context): Promise<CheckOutcome> {
    const id = `ping-${randomUUID()}`
    const rtts: number[] = []
    let report: OriginReport
    try {
      const { ws } = await context.connect('echo', { query: { id, pings: ORIGIN_PINGS, pingEvery: 100 } })
      for (let index = 0; index < PINGS; index++) {
        const result = await pingOnce(ws, index, 5000)
        if (typeof result === 'string') return { status: 'fail', summary: 'no pong', evidence: result }
        rtts.push(result)
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * ORIGIN_PINGS + 200))
      ws.close(1000)
      report = await originReport(context, id)
    } catch (error) {
      return { status: 'fail', summary: 'error', evidence: errorText(error) }
    }
    rtts.sort((a, b) => a - b)
    const p50 = percentile(rtts, 50)
    const forwarded = (report.pingsReceived ?? 0) >= PINGS ? 'origin saw them and answered' : `origin saw ${report.pingsReceived ?? 0}: the path answers pings itself`
    const originPongs = report.pongsReceived ?? 0
    const evidence =
      `${PINGS}/${PINGS} pongs with matching payload, rtt p50 ${formatMs(p50)} max ${formatMs(rtts.at(-1)!)} (${forwarded}); ` +
      `origin sent ${report.pingsSent ?? 0} pings, got ${originPongs} pongs`
    const ok = originPongs >= ORIGIN_PINGS
    return {
      status: ok ? 'pass' : 'fail',
      summary: ok ? `rtt ${formatMs(p50)}` : 'origin pings lost',
      evidence,
      metrics: { rttP50Ms: Number(p50.toFixed(2)), originPingsSeen: report.pingsReceived ?? 0, originPongs },
    }
  },
}
