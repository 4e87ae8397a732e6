import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { webhookSchema } from '../../src/config/schema.js'
import { EventQueue } from '../../src/webhooks/event-queue.js'
import { retryDelay, WebhookSender } from '../../src/webhooks/webhook-sender.js'
import { verifyWebhookSignature } from '../../src/webhooks/webhook-signature.js'
import { waitFor } from '../helpers/edge-harness.js'
import { startBlackhole, WebhookReceiver } from './webhook-receiver.js'

const OPENED = Date.parse('2025-03-01T12:00:00.000Z')

const connect = (id: string) => ({ site: 'chat', connectionId: id, clientIp: '203.0.113.7', path: '/room/1', upstream: 'http://10.0.0.5:9000/', at: OPENED })
const disconnect = (id: string) => ({
  ...connect(id),
  at: OPENED + 61_500,
  startedAt: OPENED,
  fromClient: { messages: 3, frames: 4, payloadBytes: 30, wireBytes: 54 },
  toClient: { messages: 5, frames: 5, payloadBytes: 500, wireBytes: 520 },
  closeCode: 1000,
  closeReason: 'bye',
  closedBy: 'client',
})

function sender(config: Record<string, unknown>): WebhookSender {
  // random 0.5 puts the jitter factor at exactly 1: retries wait retry_delay × 1, × 2, × 4 …
  return new WebhookSender(webhookSchema.parse(config), { random: () => 0.5, site: 'chat' })
}

describe('webhook sender', () => {
  it('retries with exponential backoff until the receiver accepts (500, 500, then 200), signing every attempt', async (t) => {
    const receiver = await WebhookReceiver.start([500, 500])
    t.after(() => receiver.close())
    const hooks = sender({ url: receiver.url, secret: 'shh-its-a-secret', retry_delay: '100ms', timeout: '2s' })
    t.after(() => hooks.stop(100))
    hooks.connected(connect('c1'))
    hooks.disconnected(disconnect('c1'))
    await waitFor(() => hooks.stats().delivered === 2, 5000, 'delivery')
    assert.deepEqual(hooks.stats(), { queued: 0, delivered: 2, failed: 0, dropped: 0, attempts: 3, failedAttempts: 2 })
    assert.equal(receiver.posts.length, 3)
    const [first, second, third] = receiver.posts as [typeof receiver.posts[0], typeof receiver.posts[0], typeof receiver.posts[0]]
    assert.ok(second.at - first.at >= 90, `first retry after ${second.at - first.at} ms, expected about 100`)
    assert.ok(third.at - second.at >= 190, `second retry after ${third.at - second.at} ms, expected about 200`)
    assert.deepEqual(receiver.posts.map((post) => post.headers['x-wedge-attempt']), ['1', '2', '3'])
    assert.equal(new Set(receiver.posts.map((post) => post.headers['x-wedge-delivery'])).size, 1, 'one delivery id across its retries')
    for (const post of receiver.posts) {
      const headers = { timestamp: post.headers['x-wedge-timestamp'] as string, signature: post.headers['x-wedge-signature'] as string }
      assert.match(headers.signature, /^sha256=[0-9a-f]{64}$/)
      assert.ok(verifyWebhookSignature('shh-its-a-secret', headers, post.body), 'signature verifies')
      assert.ok(!verifyWebhookSignature('another-secret', headers, post.body), 'not with another secret')
      assert.ok(!verifyWebhookSignature('shh-its-a-secret', headers, post.body.replace('203.0.113.7', '203.0.113.8')), 'not for a changed body')
      assert.ok(!verifyWebhookSignature('shh-its-a-secret', headers, post.body, { now: Date.now() + 600_000 }), 'not ten minutes later')
    }
    assert.equal(third.headers['content-type'], 'application/json')
    assert.deepEqual(JSON.parse(third.body), {
      events: [
        { type: 'connect', id: 'c1:connect', site: 'chat', connection_id: 'c1', client_ip: '203.0.113.7', path: '/room/1', upstream: 'http://10.0.0.5:9000/', at: '2025-03-01T12:00:00.000Z' },
        {
          type: 'disconnect', id: 'c1:disconnect', site: 'chat', connection_id: 'c1', client_ip: '203.0.113.7', path: '/room/1', upstream: 'http://10.0.0.5:9000/',
          at: '2025-03-01T12:01:01.500Z', started_at: '2025-03-01T12:00:00.000Z', duration_ms: 61_500,
          from_client: { messages: 3, payload_bytes: 30, wire_bytes: 54 }, to_client: { messages: 5, payload_bytes: 500, wire_bytes: 520 },
          close_code: 1000, close_reason: 'bye', closed_by: 'client',
        },
      ],
    })
  })

  it('gives up a batch after max_attempts and counts it failed, then delivers the next once the receiver is back', async (t) => {
    const receiver = await WebhookReceiver.start([503, 503, 503])
    t.after(() => receiver.close())
    const hooks = sender({ url: receiver.url, retry_delay: '20ms', max_attempts: 3 })
    t.after(() => hooks.stop(100))
    hooks.connected(connect('a'))
    await waitFor(() => hooks.stats().failed === 1, 3000, 'the batch to be given up')
    assert.equal(receiver.posts.length, 3)
    assert.equal(receiver.posts[0]!.headers['x-wedge-signature'], undefined, 'unsigned without a secret')
    hooks.connected(connect('b'))
    await waitFor(() => hooks.stats().delivered === 1, 3000, 'the next event')
    assert.deepEqual(hooks.stats(), { queued: 0, delivered: 1, failed: 1, dropped: 0, attempts: 4, failedAttempts: 3 })
    assert.equal(JSON.parse(receiver.posts[3]!.body).events[0].connection_id, 'b')
  })

  it('does not retry a 4xx answer other than 408 and 429', async (t) => {
    const receiver = await WebhookReceiver.start([404, 429])
    t.after(() => receiver.close())
    const hooks = sender({ url: receiver.url, retry_delay: '20ms' })
    t.after(() => hooks.stop(100))
    hooks.connected(connect('x'))
    await waitFor(() => hooks.stats().failed === 1, 3000, 'the refusal')
    assert.equal(hooks.stats().attempts, 1)
    hooks.connected(connect('y'))
    await waitFor(() => hooks.stats().delivered === 1, 3000, 'the retried 429')
    assert.equal(hooks.stats().attempts, 3)
  })

  it('counts a receiver that does not answer within timeout as a failed attempt', async (t) => {
    const hole = await startBlackhole()
    t.after(() => hole.close())
    const hooks = sender({ url: hole.url, timeout: '150ms', retry_delay: '20ms', max_attempts: 2 })
    t.after(() => hooks.stop(100))
    const started = performance.now()
    hooks.connected(connect('z'))
    await waitFor(() => hooks.stats().failed === 1, 3000, 'two timeouts')
    const elapsed = performance.now() - started
    assert.ok(elapsed >= 290 && elapsed < 1500, `gave up after ${Math.round(elapsed)} ms`)
    assert.deepEqual(hooks.stats(), { queued: 0, delivered: 0, failed: 1, dropped: 0, attempts: 2, failedAttempts: 2 })
  })

  it('keeps at most max_queue events, dropping and counting the oldest', async (t) => {
    const receiver = await WebhookReceiver.start()
    t.after(() => receiver.close())
    receiver.hold = true
    const hooks = sender({ url: receiver.url, max_queue: 10 })
    t.after(() => hooks.stop(100))
    hooks.connected(connect('first'))
    await waitFor(() => receiver.posts.length === 1, 3000, 'the first batch to be in flight')
    for (let index = 1; index <= 25; index++) hooks.connected(connect(`e${index}`))
    assert.deepEqual(hooks.stats(), { queued: 11, delivered: 0, failed: 0, dropped: 15, attempts: 1, failedAttempts: 0 })
    receiver.release()
    await waitFor(() => hooks.stats().delivered === 11, 3000, 'the rest')
    assert.deepEqual(JSON.parse(receiver.posts[1]!.body).events.map((event: { connection_id: string }) => event.connection_id), Array.from({ length: 10 }, (_, index) => `e${index + 16}`))
  })

  it('sends only the configured events', async (t) => {
    const receiver = await WebhookReceiver.start()
    t.after(() => receiver.close())
    const hooks = sender({ url: receiver.url, events: ['disconnect'] })
    t.after(() => hooks.stop(100))
    hooks.connected(connect('q'))
    hooks.disconnected(disconnect('q'))
    await waitFor(() => hooks.stats().delivered === 1, 3000, 'delivery')
    assert.deepEqual(JSON.parse(receiver.posts[0]!.body).events.map((event: { type: string }) => event.type), ['disconnect'])
  })

  it('stop() delivers what is queued, gives up at the deadline, and refuses later events', async (t) => {
    const receiver = await WebhookReceiver.start()
    t.after(() => receiver.close())
    const flushed = sender({ url: receiver.url })
    for (let index = 0; index < 250; index++) flushed.connected(connect(`s${index}`))
    await flushed.stop(2000)
    assert.equal(flushed.stats().delivered, 250, 'three batches flushed at stop')
    assert.equal(receiver.posts.length, 3)

    const hole = await startBlackhole()
    t.after(() => hole.close())
    const stuck = sender({ url: hole.url, timeout: '10s' })
    for (let index = 0; index < 150; index++) stuck.connected(connect(`h${index}`))
    const started = performance.now()
    await stuck.stop(300)
    const elapsed = performance.now() - started
    assert.ok(elapsed >= 250 && elapsed < 1500, `stop took ${Math.round(elapsed)} ms with a 300 ms deadline`)
    stuck.connected(connect('late'))
    assert.deepEqual(stuck.stats(), { queued: 0, delivered: 0, failed: 150, dropped: 1, attempts: 1, failedAttempts: 1 })
  })
})

describe('webhook retry delay and queue', () => {
  it('doubles from the base with ±25 % jitter', () => {
    assert.deepEqual([1, 2, 3, 4].map((retry) => retryDelay(retry, 500, 0.5)), [500, 1000, 2000, 4000])
    assert.equal(retryDelay(1, 500, 0), 375)
    assert.equal(retryDelay(3, 500, 0.999_999), 2500)
  })

  it('keeps order across growth and wrap-around, dropping the oldest when full', () => {
    const queue = new EventQueue<number>(40)
    for (let index = 0; index < 30; index++) assert.equal(queue.push(index), false)
    assert.deepEqual(queue.take(25), Array.from({ length: 25 }, (_, index) => index))
    for (let index = 30; index < 65; index++) assert.equal(queue.push(index), false)
    assert.equal(queue.size, 40)
    assert.equal(queue.push(65), true)
    assert.equal(queue.push(66), true)
    assert.deepEqual(queue.take(100), Array.from({ length: 40 }, (_, index) => index + 27))
    assert.equal(queue.size, 0)
    assert.throws(() => new EventQueue(0), /positive integer/)
  })
})
