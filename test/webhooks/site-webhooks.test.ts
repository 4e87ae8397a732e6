import assert from 'node:assert/strict'
import { it } from 'node:test'
import { Registry } from 'prom-client'
import { webhookSchema } from '../../src/config/schema.js'
import { SiteWebhooks } from '../../src/webhooks/site-webhooks.js'
import { registerWebhookMetrics } from '../../src/webhooks/webhook-metrics.js'
import { startEdge, waitFor } from '../helpers/edge-harness.js'
import { closed, connect, nextMessage } from '../helpers/ws-client.js'
import { startOrigin } from '../helpers/ws-origin.js'
import { observeRegistry } from './observe-registry.js'
import { WebhookReceiver } from './webhook-receiver.js'

const events = (receiver: WebhookReceiver): any[] => receiver.posts.flatMap((post) => JSON.parse(post.body).events)

it('posts connect and disconnect of real connections with their counters, follows a reload, and exports metrics', async (t) => {
  const origin = await startOrigin()
  t.after(() => origin.close())
  const edge = await startEdge({ log: { level: 'warn' }, sites: [{ name: 'chat', origins: [origin.url] }, { name: 'quiet', path_prefix: '/quiet', builtin: 'echo' }] })
  t.after(() => edge.stop())
  const first = await WebhookReceiver.start()
  t.after(() => first.close())
  const second = await WebhookReceiver.start()
  t.after(() => second.close())

  const webhooks = new SiteWebhooks({ logger: edge.edge.logger })
  t.after(() => webhooks.stop(100))
  webhooks.apply([{ name: 'chat', webhooks: webhookSchema.parse({ url: first.url, secret: 'reload-secret' }) }, { name: 'quiet' }])
  observeRegistry(edge.edge.connections, webhooks)
  const registry = new Registry()
  registerWebhookMetrics(registry, webhooks)

  const client = await connect(`${edge.wsUrl}/room?token=secret`)
  client.send('hello')
  await nextMessage(client)
  const done = closed(client)
  client.close(4001, 'bye')
  await done
  const quiet = await connect(`${edge.wsUrl}/quiet`)
  quiet.close()
  await waitFor(() => events(first).length === 2, 3000, 'connect and disconnect')
  const [opened, ended] = events(first)
  assert.equal(opened.type, 'connect')
  assert.equal(opened.path, '/room', 'the query (it may hold credentials) is not sent')
  assert.equal(opened.upstream, new URL(origin.url).href)
  assert.equal(opened.client_ip, '127.0.0.1')
  assert.equal(ended.type, 'disconnect')
  assert.equal(ended.connection_id, opened.connection_id)
  assert.deepEqual([ended.close_code, ended.closed_by], [4001, 'client'])
  // One "hello" each way (5 bytes; 11 on the wire masked, 7 unmasked), plus the close frames
  // as far as the relay counts control frames.
  assert.equal(ended.from_client.messages, 1)
  assert.equal(ended.to_client.messages, 1)
  assert.ok(ended.from_client.payload_bytes >= 5 && ended.from_client.wire_bytes >= 11, JSON.stringify(ended.from_client))
  assert.ok(ended.to_client.payload_bytes >= 5 && ended.to_client.wire_bytes >= 7, JSON.stringify(ended.to_client))
  assert.ok(ended.duration_ms >= 0 && ended.duration_ms < 5000)

  // A reload with another URL: the old sender flushes and retires, the new one takes over.
  webhooks.apply([{ name: 'chat', webhooks: webhookSchema.parse({ url: second.url }) }])
  const next = await connect(`${edge.wsUrl}/again`)
  next.close()
  await waitFor(() => events(second).length === 2, 3000, 'events at the new URL')
  assert.equal(events(first).length, 2)
  assert.equal(second.posts[0]!.headers['x-wedge-signature'], undefined, 'the new config has no secret')
  await waitFor(() => webhooks.stats()[0]?.stats.delivered === 4, 3000, 'the counts of both senders')
  assert.deepEqual(webhooks.stats(), [{ site: 'chat', stats: { queued: 0, delivered: 4, failed: 0, dropped: 0, attempts: 2 + second.posts.length, failedAttempts: 0 } }])

  const metrics = await registry.metrics()
  assert.match(metrics, /^wedge_webhook_events_total\{site="chat",outcome="delivered"\} 4$/m)
  assert.match(metrics, /^wedge_webhook_events_total\{site="chat",outcome="dropped"\} 0$/m)
  assert.match(metrics, /^wedge_webhook_attempts_total\{site="chat",result="failed"\} 0$/m)
  assert.match(metrics, /^wedge_webhook_queue_events\{site="chat"\} 0$/m)
})
