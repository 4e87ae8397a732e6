import assert from 'node:assert/strict'
import { it } from 'node:test'
import WebSocket from 'ws'
import { webhookSchema } from '../../src/config/schema.js'
import { SiteWebhooks } from '../../src/webhooks/site-webhooks.js'
import { startEdge } from '../helpers/edge-harness.js'
import { startOrigin } from '../helpers/ws-origin.js'
import { observeRegistry } from './observe-registry.js'
import { startBlackhole } from './webhook-receiver.js'

const CONNECTIONS = 1000
const CONCURRENCY = 50
/** Runs with and without webhooks alternate, so both see the same load from other processes. */
const ROUNDS = 4

/** Opens and closes `count` WebSockets through the edge, `CONCURRENCY` at a time; resolves with the ms taken. */
async function churn(url: string, count: number): Promise<number> {
  const started = performance.now()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      const ws = new WebSocket(url)
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => ws.close(1000))
        ws.once('close', () => resolve())
        ws.once('error', reject)
      })
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return performance.now() - started
}

it('a webhook receiver that never answers does not slow connections through the edge', async (t) => {
  const origin = await startOrigin()
  t.after(() => origin.close())
  const edge = await startEdge({ log: { level: 'warn' }, sites: [{ name: 'chat', origins: [origin.url] }] })
  t.after(() => edge.stop())
  const hole = await startBlackhole()
  t.after(() => hole.close())

  const webhooks = new SiteWebhooks({ logger: edge.edge.logger })
  webhooks.apply([{ name: 'chat', webhooks: webhookSchema.parse({ url: hole.url, timeout: '30s', max_queue: 100 }) }])
  t.after(() => webhooks.stop(50))
  const spent = observeRegistry(edge.edge.connections, webhooks)
  spent.enabled = false
  await churn(edge.wsUrl, 200) // warm-up: JIT, sockets, allocator
  let without = 0
  let withHooks = 0
  for (let round = 0; round < ROUNDS; round++) {
    spent.enabled = false
    without += await churn(edge.wsUrl, CONNECTIONS / ROUNDS)
    spent.enabled = true
    withHooks += await churn(edge.wsUrl, CONNECTIONS / ROUNDS)
  }

  t.diagnostic(`${CONNECTIONS} connections: ${Math.round(without)} ms without webhooks, ${Math.round(withHooks)} ms with a dead receiver; ${spent.callMs.toFixed(1)} ms inside the webhooks`)
  assert.ok(withHooks < without * 1.5 + 300, `with a dead webhook receiver: ${Math.round(withHooks)} ms, without webhooks: ${Math.round(without)} ms`)
  assert.ok(spent.callMs < 200, `2,000 enqueues took ${spent.callMs.toFixed(1)} ms`)
  const stats = webhooks.stats()[0]!.stats
  assert.equal(hole.connections, 1, 'one POST hangs; nothing piles up towards the receiver')
  assert.equal(stats.delivered, 0)
  assert.ok(stats.queued > 100 && stats.queued <= 200, `${stats.queued} queued: the queue bound (100) plus the batch in flight (at most 100)`)
  assert.equal(stats.dropped + stats.queued, 2 * CONNECTIONS, 'every event is either queued or counted as dropped')
})
