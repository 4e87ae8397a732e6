import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startEdge, waitFor } from '../helpers/edge-harness.js'
import { startOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage, closed } from '../helpers/ws-client.js'
import { usageReport } from '../../src/metering/usage-report.js'

const CLIENTS = 5
const MESSAGES = 20
const SIZE = 100

test('usage records and metrics reconcile exactly with known traffic through the proxy', async (t) => {
  const origin = await startOrigin()
  const edge = await startEdge({ log: { level: 'silent' }, sites: [{ name: 'metered', hosts: ['*'], origins: [origin.url] }] })
  t.after(async () => { await edge.stop(); await origin.close() })
  const started = Date.now()
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(`${edge.wsUrl}/`, undefined, { perMessageDeflate: false })))
  // Live: while the sockets are open the meter already sees them.
  await waitFor(() => edge.edge.meter.live().find((site) => site.site === 'metered')?.open === CLIENTS, 3000, 'live open count')
  for (const ws of clients) {
    for (let index = 0; index < MESSAGES; index++) {
      ws.send(Buffer.alloc(SIZE, index))
      await nextMessage(ws)
    }
  }
  for (const ws of clients) {
    const done = closed(ws)
    ws.close(1000)
    await done
  }
  await waitFor(() => edge.edge.connections.size === 0, 3000, 'connections closed')
  edge.edge.meter.flush()
  const report = usageReport(edge.edge.usage, { site: 'metered', from: started - 60_000, to: Date.now() + 60_000, step: 'hour' })
  const total = report.rows.reduce((sum, row) => ({
    messagesIn: sum.messagesIn + row.messagesFromClient,
    messagesOut: sum.messagesOut + row.messagesToClient,
    payloadIn: sum.payloadIn + row.payloadBytesFromClient,
    handshakes: sum.handshakes + row.handshakesAccepted,
    peak: Math.max(sum.peak, row.peakConcurrent),
    connectionMs: sum.connectionMs + row.connectionMs,
  }), { messagesIn: 0, messagesOut: 0, payloadIn: 0, handshakes: 0, peak: 0, connectionMs: 0 })
  assert.equal(total.messagesIn, CLIENTS * MESSAGES)
  assert.equal(total.messagesOut, CLIENTS * MESSAGES)
  // Payload from the client: the messages plus each close frame's 2-byte code.
  assert.equal(total.payloadIn, CLIENTS * MESSAGES * SIZE + CLIENTS * 2)
  assert.equal(total.handshakes, CLIENTS)
  assert.equal(total.peak, CLIENTS)
  assert.ok(total.connectionMs > 0 && total.connectionMs <= CLIENTS * (Date.now() - started), `connection ms ${total.connectionMs}`)
  const metrics = await edge.edge.meter.registry.metrics()
  assert.match(metrics, new RegExp(`wedge_messages_total\\{[^}]*site="metered"[^}]*direction="from_client"[^}]*\\} ${CLIENTS * MESSAGES}\\b`))
  assert.match(metrics, /wedge_handshakes_total\{[^}]*site="metered"[^}]*outcome="accepted"[^}]*\} 5\b/)
  assert.match(metrics, /wedge_close_codes_total\{[^}]*code="1000"[^}]*\} 5\b/)
})
