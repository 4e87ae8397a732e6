import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { closeOriginAgent } from '../../src/proxy/origin-agent.js'
import { send, startEdge, startOrigin, within } from './harness.js'

describe('origin agent', () => {
  it('reaches a ws:// origin over plain HTTP for ordinary requests', async (t) => {
    const origin = await startOrigin((_req, res) => res.end('plain'))
    const wsUrl = new URL(`ws://${origin.url.host}`)
    const edge = await startEdge([wsUrl])
    t.after(async () => { await edge.close(); await origin.close() })
    const response = await send(edge.url)
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'plain')
  })

  it('opens no more than max_connections connections to an origin', async (t) => {
    let open = 0
    let most = 0
    const origin = await startOrigin((_req, res) => {
      open++
      most = Math.max(most, open)
      setTimeout(() => { open--; res.end('done') }, 100)
    })
    const edge = await startEdge([origin.url], { origins: [{ url: origin.url.origin, max_connections: 1 }] })
    t.after(async () => { await edge.close(); await origin.close() })
    const responses = await within(5000, Promise.all([send(edge.url), send(edge.url), send(edge.url)]), 'three queued requests')
    assert.deepEqual(responses.map((response) => response.status), [200, 200, 200])
    assert.equal(most, 1)
    assert.equal(origin.connections, 1)
  })

  it('closeOriginAgent destroys connections still busy after the grace period', async (t) => {
    let arrived!: () => void
    const reached = new Promise<void>((resolve) => { arrived = resolve })
    const origin = await startOrigin(() => arrived())
    const edge = await startEdge([origin.url])
    t.after(async () => { await edge.close(); await origin.close() })
    const pending = send(edge.url)
    await within(3000, reached, 'the request at the origin')
    const started = Date.now()
    await within(3000, closeOriginAgent(edge.agent, 200), 'the agent to close')
    assert.ok(Date.now() - started >= 150)
    const response = await within(3000, pending, 'the client answer')
    assert.equal(response.status, 503)
    assert.equal(response.headers['x-wedge-error'], 'WEDGE_SHUTTING_DOWN')
  })
})
