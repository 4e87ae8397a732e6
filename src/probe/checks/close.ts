import { randomUUID } from 'node:crypto'
import { describeClose } from '../inbox.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckContext, type CheckDefinition } from './check.js'

/** Application codes (RFC 6455 §7.4.2) so that a path substituting 1000/1001/1006 is caught. */
const FROM_ORIGIN = { code: 4002, reason: 'ciao from origin' } as const
const FROM_CLIENT = { code: 4001, reason: 'bye' } as const

interface Direction {
  ok: boolean
  text: string
  received: string | null
}

async function originToClient(context: CheckContext): Promise<Direction> {
  const sent = `origin sent ${describeClose(FROM_ORIGIN)}`
  try {
    const { inbox } = await context.connect('close', { query: FROM_ORIGIN })
    const close = await inbox.closed(10_000)
    if (!close) return { ok: false, text: `${sent}, no close within 10 s`, received: null }
    const ok = close.code === FROM_ORIGIN.code && close.reason === FROM_ORIGIN.reason
    return { ok, text: `${sent}, received ${describeClose(close)}`, received: describeClose(close) }
  } catch (error) {
    return { ok: false, text: `${sent}: ${errorText(error)}`, received: null }
  }
}

async function clientToOrigin(context: CheckContext): Promise<Direction> {
  const sent = `sent ${describeClose(FROM_CLIENT)}`
  const id = `close-${randomUUID()}`
  try {
    const { ws, inbox } = await context.connect('echo', { query: { id } })
    ws.close(FROM_CLIENT.code, FROM_CLIENT.reason)
    const reply = await inbox.closed(10_000)
    const { inbox: reportInbox } = await context.connect('report', { query: { id, wait: 3000 } })
    const report = await reportInbox.nextJson<{ close: { code: number; reason: string } | null }>(6000)
    const echoed = reply ? `, close reply ${describeClose(reply)}` : ''
    if (!report.close) return { ok: false, text: `${sent}, origin saw no close${echoed}`, received: null }
    const ok = report.close.code === FROM_CLIENT.code && report.close.reason === FROM_CLIENT.reason
    return { ok, text: `${sent}, origin received ${describeClose(report.close)}${echoed}`, received: describeClose(report.close) }
  } catch (error) {
    return { ok: false, text: `${sent}: ${errorText(error)}`, received: null }
  }
}

/** RFC 6455 §5.5.1, §7.1.5: close code and reason must cross the path unchanged, both ways. */
export const closeCheck: CheckDefinition = {
  id: 'close',
  title: 'Close code and reason',
  async run(context): Promise<CheckOutcome> {
    context.progress('origin → client')
    const down = await originToClient(context)
    context.progress('client → origin')
    const up = await clientToOrigin(context)
    const ok = down.ok && up.ok
    const summary = ok ? 'both ways' : [down.ok ? '' : 'origin→client', up.ok ? '' : 'client→origin'].filter(Boolean).join(', ') + ' altered'
    return {
      status: ok ? 'pass' : 'fail',
      summary,
      evidence: `${down.text}; ${up.text}`,
      metrics: { originToClient: down.received, clientToOrigin: up.received },
    }
  },
}
