import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { request } from 'undici'
import type WebSocket from 'ws'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { closed, connect, nextMessage } from '../helpers/ws-client.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'

const TOKEN = 'edge-admin-token-0123456789'

/** A port nothing listens on: connections to it are refused. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

interface Answer { status: number; type: string; text: string; body: any }

describe('admin API of a running edge', () => {
  let origin: TestOrigin
  let edge: RunningEdge
  let adminUrl: string
  let deadUrl: string
  const clients: WebSocket[] = []

  async function get(path: string, method = 'GET'): Promise<Answer> {
    const response = await request(`${adminUrl}${path}`, { method: method as 'GET', headers: { authorization: `Bearer ${TOKEN}` } })
    const text = await response.body.text()
    const type = String(response.headers['content-type'])
    return { status: response.statusCode, type, text, body: type.startsWith('application/json') ? JSON.parse(text) : undefined }
  }

  before(async () => {
    origin = await startOrigin()
    deadUrl = `http://127.0.0.1:${await deadPort()}`
    edge = await startEdge({
      admin: { listen: '127.0.0.1:0', tokens: [{ token: TOKEN, role: 'admin' }] },
      sites: [
        { name: 'chat', path_prefix: '/chat', origins: [origin.url, deadUrl], health_check: { interval: '100ms', timeout: '80ms', unhealthy_threshold: 1, healthy_threshold: 1 } },
        { name: 'echo', path_prefix: '/echo', builtin: 'echo' },
      ],
    })
    const address = edge.edge.addresses().admin!
    adminUrl = `http://${address.host}:${address.port}`
    for (const path of ['/chat/a?room=1', '/chat/b', '/echo']) clients.push(await connect(`${edge.wsUrl}${path}`))
    for (const client of clients) {
      client.send('hello')
      await nextMessage(client)
    }
    // The meter's numbers are as of its last tick (every second).
    await waitFor(() => edge.edge.meter.live().reduce((sum, site) => sum + site.open, 0) === 3, 3000, 'the meter to see 3 connections')
  })

  after(async () => {
    for (const client of clients) client.terminate()
    await edge.stop()
    await origin.close()
  })

  it('lists open connections with client, site, upstream, age and counters, filtered by site', async () => {
    const all = await get('/api/connections')
    assert.equal(all.status, 200)
    assert.equal(all.body.total, 3)
    const chat = await get('/api/connections?site=chat')
    assert.equal(chat.body.total, 2)
    assert.equal(chat.body.site, 'chat')
    for (const connection of chat.body.connections) {
      assert.equal(connection.site, 'chat')
      assert.equal(connection.clientIp, '127.0.0.1')
      assert.equal(connection.upstream, new URL(origin.url).href)
      assert.equal(connection.kind, 'proxy')
      assert.match(connection.startedAt, /^\d{4}-\d\d-\d\dT/)
      assert.ok(connection.ageMs >= 0 && connection.ageMs < 60_000)
      // One "hello" each way: 5 payload bytes, in a masked (client) and an unmasked frame.
      assert.deepEqual(connection.fromClient, { messages: 1, frames: 1, payloadBytes: 5, wireBytes: 11 })
      assert.deepEqual(connection.toClient, { messages: 1, frames: 1, payloadBytes: 5, wireBytes: 7 })
    }
    assert.deepEqual(chat.body.connections.map((entry: { path: string }) => entry.path).sort(), ['/chat/a', '/chat/b'], 'paths without their query')
    const echo = (await get('/api/connections?site=echo')).body.connections
    assert.deepEqual(echo.map((entry: { upstream: string; kind: string }) => [entry.upstream, entry.kind]), [['builtin:echo', 'builtin']])
    assert.equal((await get('/api/connections?limit=1')).body.connections.length, 1)
    assert.equal((await get('/api/connections?limit=0')).status, 400)
    assert.equal((await get('/api/connections?sight=chat')).status, 400)
  })

  it('refuses a close code or reason a close frame cannot carry with 400, closing nothing', async () => {
    const id = (await get('/api/connections?site=chat')).body.connections[0].id
    for (const query of ['code=1005', 'code=1006', 'code=1015', 'code=1002', 'code=999', 'code=2999', 'code=5000', 'code=abc', 'code=4000.5', 'code=%2B4000', `code=4000&reason=${'é'.repeat(62)}`, 'code=4000&code=4001', 'cdoe=4000']) {
      const answer = await get(`/api/connections/${id}?${query}`, 'DELETE')
      assert.equal(answer.status, 400, query)
      assert.equal(answer.body.error.code, 'WEDGE_ADMIN_BAD_REQUEST')
    }
    assert.match((await get(`/api/connections/${id}?code=4000&reason=${'é'.repeat(62)}`, 'DELETE')).body.error.message, /reason: at most 123 bytes .*got 124/)
    assert.equal((await get('/api/connections')).body.total, 3)
    assert.equal((await get('/api/connections/no-such-id?code=1000', 'DELETE')).status, 404)
  })

  it('closes a proxied connection with the chosen code and a 123-byte reason that the client receives', async () => {
    const listed = (await get('/api/connections?site=chat')).body.connections
    const target = listed.find((entry: { path: string }) => entry.path === '/chat/b')
    const client = clients[1]!
    const reason = `${'é'.repeat(61)}x`
    assert.equal(Buffer.byteLength(reason), 123)
    const done = closed(client)
    const answer = await get(`/api/connections/${target.id}?code=4321&reason=${encodeURIComponent(reason)}`, 'DELETE')
    assert.equal(answer.status, 200, answer.text)
    assert.deepEqual(answer.body, { id: target.id, closed: true, code: 4321, reason })
    assert.deepEqual(await done, { code: 4321, reason })
    await waitFor(async () => (await get('/api/connections')).body.total === 2, 3000, 'the closed connection to leave the list')
  })

  it('closes a builtin echo connection with a standard code', async () => {
    const [target] = (await get('/api/connections?site=echo')).body.connections
    const done = closed(clients[2]!)
    assert.equal((await get(`/api/connections/${target.id}?code=1012&reason=restarting`, 'DELETE')).status, 200)
    assert.deepEqual(await done, { code: 1012, reason: 'restarting' })
  })

  it('serves the meter\'s registry as Prometheus text at /metrics', async () => {
    const metrics = await get('/metrics')
    assert.equal(metrics.status, 200)
    assert.equal(metrics.type, 'text/plain; version=0.0.4; charset=utf-8')
    assert.match(metrics.text, /^# HELP wedge_connections_open /m)
    assert.match(metrics.text, /^# TYPE wedge_handshakes_total counter$/m)
    assert.match(metrics.text, /^wedge_handshakes_total\{site="chat",outcome="accepted"\} 2$/m)
    assert.match(metrics.text, /^process_cpu_user_seconds_total /m)
  })

  it('answers live numbers per site', async () => {
    // The meter's numbers are as of its last tick: wait for the one after the close above.
    const live = await waitFor(async () => {
      const answer = await get('/api/live')
      return answer.body.sites.find((site: { site: string }) => site.site === 'chat').open === 1 ? answer : undefined
    }, 4000, 'the meter to count the closed connection')
    assert.equal(live.status, 200)
    assert.match(live.body.at, /Z$/)
    const chat = live.body.sites.find((site: { site: string }) => site.site === 'chat')
    assert.equal(chat.handshakes.accepted, 2)
    assert.ok('messagesPerSecond' in chat.rates.fromClient && 'wireBytesPerSecond' in chat.rates.toClient)
  })

  it('answers usage by hour and day from the usage store, and 400 for a bad query', async () => {
    const hourly = await get('/api/usage?step=hour')
    assert.equal(hourly.status, 200)
    assert.equal(hourly.body.step, 'hour')
    assert.equal(hourly.body.site, null)
    const chatRows = hourly.body.rows.filter((row: { site: string }) => row.site === 'chat')
    assert.equal(chatRows.length, 1)
    assert.equal(chatRows[0].handshakesAccepted, 2)
    assert.ok(chatRows[0].connectionMs > 0)
    const daily = await get('/api/usage?site=echo&step=day&from=-2d')
    assert.deepEqual(daily.body.rows.map((row: { site: string }) => row.site), ['echo'])
    assert.deepEqual(daily.body.totals.map((total: { site: string }) => total.site), ['echo'])
    const bad = await get('/api/usage?step=week')
    assert.equal(bad.status, 400)
    assert.match(bad.body.error.message, /^step: expected minute, hour or day/)
  })

  it('lists sites with their kind, and origins with their health state', async () => {
    const sites = await waitFor(async () => {
      const answer = (await get('/api/sites')).body.sites
      return answer[0].origins.some((entry: { healthy: boolean }) => !entry.healthy) ? answer : undefined
    }, 3000, 'the dead origin to be marked down')
    assert.deepEqual(sites.map((site: { name: string; kind: string }) => [site.name, site.kind]), [['chat', 'proxy'], ['echo', 'builtin']])
    const [chat, echo] = sites
    assert.equal(chat.policy, 'round_robin')
    assert.equal(chat.pathPrefix, '/chat')
    assert.deepEqual(chat.origins.map((entry: { id: string; healthy: boolean }) => [entry.id, entry.healthy]), [[new URL(origin.url).href, true], [new URL(deadUrl).href, false]])
    assert.equal(chat.origins[1].lastCheck.ok, false)
    assert.match(chat.origins[1].lastCheck.detail, /ECONNREFUSED/)
    assert.equal(echo.builtin, 'echo')
  })
})
