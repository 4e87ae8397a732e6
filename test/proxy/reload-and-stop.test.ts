import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resolveConfig } from '../../src/config/resolve.js'
import { startEdge, waitFor } from '../helpers/edge-harness.js'
import { startOrigin } from '../helpers/ws-origin.js'
import { connect, nextMessage, closed } from '../helpers/ws-client.js'

test('reload applies a new config to new connections and never drops open ones', async (t) => {
  const first = await startOrigin({ name: 'first' })
  const second = await startOrigin({ name: 'second' })
  const edge = await startEdge({ sites: [{ name: 'api', hosts: ['*'], origins: [first.url] }] })
  t.after(async () => { await edge.stop(); await first.close(); await second.close() })
  const before = await connect(`${edge.wsUrl}/`)
  await edge.edge.reload(resolveConfig({ listen: '127.0.0.1:0', sites: [{ name: 'api', hosts: ['*'], origins: [second.url] }] }))
  const after = await connect(`${edge.wsUrl}/`)
  assert.equal(first.handshakes.length, 1)
  assert.equal(second.handshakes.length, 1)
  for (const ws of [before, after]) {
    ws.send('still relayed')
    assert.equal((await nextMessage(ws)).data.toString(), 'still relayed')
  }
  // Removing the site entirely still leaves open sockets alone.
  await edge.edge.reload(resolveConfig({ listen: '127.0.0.1:0', sites: [{ name: 'other', hosts: ['other.test'], builtin: 'welcome' }] }))
  before.send('after the site is gone')
  assert.equal((await nextMessage(before)).data.toString(), 'after the site is gone')
  await assert.rejects(connect(`${edge.wsUrl}/`), (error: { status?: number }) => error.status === 404)
  before.close()
  after.close()
})

test('graceful stop refuses new connections, lets open ones finish within the drain time, then closes the rest with 1001', async (t) => {
  const origin = await startOrigin()
  const edge = await startEdge({ sites: [{ name: 'api', hosts: ['*'], origins: [origin.url] }] })
  t.after(() => origin.close())
  const finishing = await connect(`${edge.wsUrl}/`)
  const lingering = await connect(`${edge.wsUrl}/`)
  const lingeringClosed = closed(lingering)
  const started = Date.now()
  const stopped = edge.stop(600)
  await new Promise((resolve) => setTimeout(resolve, 100))
  await assert.rejects(connect(`${edge.wsUrl}/`))
  finishing.send('finishing up')
  assert.equal((await nextMessage(finishing)).data.toString(), 'finishing up')
  finishing.close(1000)
  const result = await lingeringClosed
  assert.equal(result.code, 1001)
  assert.ok(Date.now() - started >= 550, 'the lingering socket was given the drain time')
  await stopped
  await waitFor(() => origin.sockets.size === 0, 3000, 'origin sockets closed')
})
