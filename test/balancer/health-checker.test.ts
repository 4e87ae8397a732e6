import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OriginPool } from '../../src/proxy/balancer/origin-pool.js'
import { recordingLogger, siteWith, waitFor } from './fixtures.js'

/** A real origin whose health answer the test flips. */
interface FakeOrigin {
  server: Server
  url: string
  status: number
  requests: string[]
  failures: number
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const servers: Server[] = []
function track(server: Server): Server {
  servers.push(server)
  return server
}

async function startOrigin(scheme = 'http'): Promise<FakeOrigin> {
  const origin = { status: 200, requests: [] as string[], failures: 0 } as FakeOrigin
  origin.server = track(createServer((request, response) => {
    origin.requests.push(request.url ?? '')
    if (origin.status >= 400) origin.failures++
    response.writeHead(origin.status).end('ok')
  }))
  origin.url = `${scheme}://127.0.0.1:${await listen(origin.server)}`
  return origin
}

function poolFor(origins: string[], healthCheck: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { logger, entries } = recordingLogger()
  const pool = new OriginPool(siteWith({ origins, health_check: { interval: 50, timeout: 200, ...healthCheck }, ...extra }), { logger })
  after(() => pool.stop())
  return { pool, entries }
}

after(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

test('active checks take an origin down after unhealthy_threshold failures and back after healthy_threshold passes', async () => {
  const fake = await startOrigin()
  const { pool, entries } = poolFor([fake.url], { path: '/healthz', healthy_threshold: 2, unhealthy_threshold: 2 })
  const [origin] = pool.origins
  assert.equal(origin!.healthy, true, 'origins start healthy')
  pool.start()
  assert.ok(await waitFor(() => origin!.state().lastCheck?.ok === true), 'a first check passes')
  assert.equal(fake.requests[0], '/healthz')

  fake.status = 500
  assert.ok(await waitFor(() => !origin!.healthy), 'marked down')
  assert.ok(fake.failures >= 2, `down after ${fake.failures} failing check(s)`)
  assert.equal(origin!.state().lastCheck?.detail, 'status 500')
  assert.equal(pool.pick({ url: '/', headers: {} }), undefined)

  fake.status = 200
  const failuresWhenFixed = fake.requests.length
  assert.ok(await waitFor(() => origin!.healthy), 'marked up again')
  assert.ok(fake.requests.length - failuresWhenFixed >= 2, 'up only after two passing checks')
  assert.deepEqual(entries.map((entry) => entry.level), ['warn', 'info'], 'each transition logged once')
})

test('a check that does not answer within timeout fails with "timeout"', async () => {
  const silent = track(createServer(() => { /* never answers */ }))
  const port = await listen(silent)
  const { pool } = poolFor([`http://127.0.0.1:${port}`], { timeout: 100, unhealthy_threshold: 1 })
  pool.start()
  const [origin] = pool.origins
  assert.ok(await waitFor(() => !origin!.healthy))
  assert.equal(origin!.state().lastCheck?.detail, 'timeout')
})

test('a refused connection fails the check', async () => {
  const closed = createServer()
  const port = await listen(closed)
  await new Promise((resolve) => closed.close(resolve))
  const { pool } = poolFor([`http://127.0.0.1:${port}`], { unhealthy_threshold: 1 })
  pool.start()
  const [origin] = pool.origins
  assert.ok(await waitFor(() => !origin!.healthy))
  assert.equal(origin!.state().lastCheck?.detail, 'ECONNREFUSED')
})

test('expect_status replaces the default 2xx/3xx rule', async () => {
  const fake = await startOrigin()
  fake.status = 204
  const { pool } = poolFor([fake.url], { expect_status: [200], unhealthy_threshold: 1 })
  pool.start()
  assert.ok(await waitFor(() => !pool.origins[0]!.healthy))
  assert.equal(pool.origins[0]!.state().lastCheck?.detail, 'status 204')
})

test('ws:// origins are checked over http on the health path, not the origin path', async () => {
  const fake = await startOrigin('ws')
  const { pool } = poolFor([`${fake.url}/socket`], { path: '/status?deep=1' })
  pool.start()
  assert.ok(await waitFor(() => pool.origins[0]!.state().lastCheck !== undefined))
  assert.equal(pool.origins[0]!.state().lastCheck?.ok, true)
  assert.equal(fake.requests[0], '/status?deep=1')
})

test('stop ends the checks', async () => {
  const fake = await startOrigin()
  const { pool } = poolFor([fake.url], {})
  pool.start()
  assert.ok(await waitFor(() => fake.requests.length >= 2))
  pool.stop()
  await new Promise((resolve) => setTimeout(resolve, 60))
  const count = fake.requests.length
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(fake.requests.length, count)
})

test('removing health_check on reload brings checked-down origins back', async () => {
  const fake = await startOrigin()
  fake.status = 503
  const { pool } = poolFor([fake.url], { unhealthy_threshold: 1 })
  pool.start()
  const [origin] = pool.origins
  assert.ok(await waitFor(() => !origin!.healthy))
  pool.update(siteWith({ origins: [fake.url] }))
  assert.equal(origin!.healthy, true)
  const count = fake.requests.length
  await new Promise((resolve) => setTimeout(resolve, 150))
  assert.ok(fake.requests.length <= count + 1, 'no checks after the reload (one may have been in flight)')
})

test('a reload that changes the health path keeps the origin\'s state and checks the new path', async () => {
  const fake = await startOrigin()
  const { pool } = poolFor([fake.url], { path: '/old' })
  pool.start()
  const [origin] = pool.origins
  assert.ok(await waitFor(() => fake.requests.includes('/old')))
  pool.acquire(origin!)
  pool.update(siteWith({ origins: [fake.url], health_check: { interval: 50, timeout: 200, path: '/new' } }))
  assert.equal(pool.origins[0], origin)
  assert.equal(origin!.active, 1)
  assert.ok(await waitFor(() => fake.requests.includes('/new')))
})

test.describe('https origins', () => {
  let dir: string
  let port: number

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wedge-balancer-'))
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=origin.test', '-addext', 'subjectAltName=DNS:origin.test',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' })
    const server = createTlsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (request, response) => response.end('ok'),
    )
    port = await listen(track(server))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('origin_tls ca and servername let the check verify the origin certificate', async () => {
    const { pool } = poolFor([`wss://127.0.0.1:${port}`], {}, { origin_tls: { ca: join(dir, 'cert.pem'), servername: 'origin.test' } })
    pool.start()
    assert.ok(await waitFor(() => pool.origins[0]!.state().lastCheck !== undefined))
    assert.equal(pool.origins[0]!.state().lastCheck?.ok, true, pool.origins[0]!.state().lastCheck?.detail)
  })

  test('an origin certificate signed by an unknown CA fails the check', async () => {
    const { pool } = poolFor([`https://127.0.0.1:${port}`], { unhealthy_threshold: 1 }, { origin_tls: { servername: 'origin.test' } })
    pool.start()
    assert.ok(await waitFor(() => !pool.origins[0]!.healthy))
    assert.match(pool.origins[0]!.state().lastCheck!.detail, /SELF_SIGNED|CERT|UNABLE/)
  })

  test('verify: false accepts the certificate', async () => {
    const { pool } = poolFor([`https://127.0.0.1:${port}`], {}, { origin_tls: { verify: false } })
    pool.start()
    assert.ok(await waitFor(() => pool.origins[0]!.state().lastCheck !== undefined))
    assert.equal(pool.origins[0]!.state().lastCheck?.ok, true, pool.origins[0]!.state().lastCheck?.detail)
  })
})
