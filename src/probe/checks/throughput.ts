import type { WebSocket } from 'ws'
import { describeClose } from '../inbox.js'
import { makePayload } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

const MESSAGE_SIZE = 64 * 1024
const WINDOW = 8
const DURATION_MS = 2000
const MAX_BYTES = 256 * 1024 ** 2

interface Pumped {
  echoed: number
  elapsedMs: number
  problem: string | undefined
}

/** Keeps WINDOW messages in flight until DURATION_MS or MAX_BYTES, whichever comes first. */
function pump(ws: WebSocket): Promise<Pumped> {
  const payload = makePayload(MESSAGE_SIZE, 'binary')
  const started = performance.now()
  let sent = 0
  let echoed = 0
  return new Promise((resolve) => {
    const safety = setTimeout(() => finish(`echoes stalled with ${sent - echoed} in flight`), DURATION_MS + 10_000)
    function finish(problem?: string): void {
      clearTimeout(safety)
      ws.removeAllListeners('message')
      resolve({ echoed, elapsedMs: performance.now() - started, problem })
    }
    function fill(): void {
      while (sent - echoed < WINDOW && performance.now() - started < DURATION_MS && sent * MESSAGE_SIZE < MAX_BYTES) {
        ws.send(payload)
        sent++
      }
      if (sent === echoed) finish()
    }
    ws.on('message', (data) => {
      echoed++
      if ((data as Buffer).length !== MESSAGE_SIZE) return finish(`an echo came back as ${(data as Buffer).length} B`)
      fill()
    })
    ws.once('close', (code, reason) => finish(`connection closed ${describeClose({ code, reason: reason.toString() })}`))
    fill()
  })
}

/** Echoed bytes per second with 64 KiB binary messages, WINDOW in flight. */
export const throughputCheck: CheckDefinition = {
  id: 'throughput',
  title: 'Throughput',
  async run({ connect }): Promise<CheckOutcome> {
    let result: Pumped
    try {
      const { ws } = await connect('echo')
      result = await pump(ws)
      ws.close(1000)
    } catch (error) {
      return { status: 'fail', summary: 'failed', evidence: errorText(error) }
    }
    const mib = (result.echoed * MESSAGE_SIZE) / 1024 ** 2
    const rate = mib / (result.elapsedMs / 1000)
    const evidence = `${result.echoed} × 64 KiB echoed (${mib.toFixed(1)} MiB) in ${(result.elapsedMs / 1000).toFixed(2)} s, ${WINDOW} in flight: ${rate.toFixed(1)} MiB/s`
    if (result.problem) return { status: 'fail', summary: 'failed', evidence: `${evidence}; ${result.problem}` }
    return { status: 'pass', summary: `${rate.toFixed(1)} MiB/s`, evidence, metrics: { mibPerSecond: Number(rate.toFixed(2)), messagesPerSecond: Math.round(result.echoed / (result.elapsedMs / 1000)) } }
  },
}
