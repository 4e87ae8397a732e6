import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { hostAllowed } from '../../src/runtime/outbound-fetch.js'
import { startAppEdge, tempApp } from './app-harness.js'

const FETCHING_APP = `
export default {
  async fetch(request) {
    const target = new URL(request.url).searchParams.get('url')
    try {
      const response = await fetch(target, { headers: { 'x-from': 'app' } })
      return new Response(response.status + ' ' + await response.text())
    } catch (error) {
      return new Response('refused: ' + error.message, { status: 502 })
    }
  }
}
`

test('fetch_allow matches exact hosts and subdomains of *.suffix entries', () => {
  assert.equal(hostAllowed('api.example.com', ['api.example.com']), true)
  assert.equal(hostAllowed('API.Example.com.', ['api.example.com']), true)
  assert.equal(hostAllowed('a.b.example.com', ['*.example.com']), true)
  assert.equal(hostAllowed('example.com', ['*.example.com']), false)
  assert.equal(hostAllowed('evilexample.com', ['*.example.com']), false)
  assert.equal(hostAllowed('other.com', []), false)
})

test('an app may fetch allowed hosts only; others are refused in the gateway', async (t) => {
  const seen: string[] = []
  const origin = createServer((req, res) => {
    seen.push(`${req.headers.host} ${req.headers['x-from']}`)
    res.end('from origin')
  })
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
  t.after(() => origin.close())
  const port = (origin.address() as { port: number }).port
  const app = tempApp(t, { 'app.js': FETCHING_APP })
  const edge = await startAppEdge(t, app.dataDir, [{ name: 'fetcher', app: { main: app.file('app.js'), fetch_allow: ['127.0.0.1'] } }], { runners: 1, spare: false })

  const allowed = await fetch(`${edge.httpUrl}/?url=${encodeURIComponent(`http://127.0.0.1:${port}/x`)}`)
  assert.equal(await allowed.text(), '200 from origin')
  assert.deepEqual(seen, [`127.0.0.1:${port} app`])

  const denied = await fetch(`${edge.httpUrl}/?url=${encodeURIComponent(`http://localhost:${port}/x`)}`)
  assert.equal(denied.status, 502)
  assert.match(await denied.text(), /fetch to localhost is not allowed \(fetch_allow\)/)
  assert.equal(seen.length, 1, 'the refused request never left the edge')
  assert.equal(edge.edge.apps.counters.fetchDenied, 1)
})
