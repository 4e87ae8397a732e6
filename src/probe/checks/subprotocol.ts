import { randomUUID } from 'node:crypto'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckContext, type CheckDefinition } from './check.js'

const OFFERED = ['wedge-probe.v2', 'wedge-probe.v1']

interface HandshakeInfo {
  offeredProtocols: string[]
  selectedProtocol: string
}

interface OriginReport {
  missing?: boolean
  offeredProtocols?: string[]
  selectedProtocol?: string
}

const quote = (list: string[]): string => (list.length ? `'${list.join(', ')}'` : 'none')

/** After a failed handshake, asks the origin what it received to tell "stripped" from "dropped". */
async function originSide(context: CheckContext, id: string): Promise<string> {
  try {
    const { inbox } = await context.connect('report', { query: { id, wait: 500 } })
    const report = await inbox.nextJson<OriginReport>(5000)
    if (report.missing) return 'the origin never saw the connection'
    const selected = report.selectedProtocol ? `selected '${report.selectedProtocol}'` : 'selected none'
    return `origin received ${quote(report.offeredProtocols ?? [])} and ${selected}`
  } catch (error) {
    return `origin report unavailable (${errorText(error)})`
  }
}

/** RFC 6455 §1.9, §4.2.2: Sec-WebSocket-Protocol must reach the origin and its choice come back. */
export const subprotocolCheck: CheckDefinition = {
  id: 'subprotocol',
  title: 'Subprotocol pass-through',
  async run(context): Promise<CheckOutcome> {
    const id = `subprotocol-${randomUUID()}`
    const sent = `offered ${quote(OFFERED)}`
    let info: HandshakeInfo
    let received: string
    try {
      const { ws, inbox } = await context.connect('info', { protocols: OFFERED, query: { id } })
      received = ws.protocol
      info = await inbox.nextJson<HandshakeInfo>(10_000)
      ws.close(1000)
    } catch (error) {
      const origin = await originSide(context, id)
      return { status: 'fail', summary: 'lost', evidence: `${sent}; handshake failed: ${errorText(error)}; ${origin}` }
    }
    const evidence = `${sent}; origin received ${quote(info.offeredProtocols)}, selected '${info.selectedProtocol}'; client got '${received}'`
    const intact = info.offeredProtocols.join() === OFFERED.join() && received === info.selectedProtocol && received !== ''
    return { status: intact ? 'pass' : 'fail', summary: intact ? `'${received}'` : 'altered', evidence, metrics: { selected: received || null } }
  },
}
