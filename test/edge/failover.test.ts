import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import net, { type AddressInfo } from 'node:net'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { connect } from '../helpers/ws-client.js'
import { refusal, session, type Refusal } from './clients.js'

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Log lines with this message about this origin. */
function logCount(running: RunningEdge, message: string, originUrl: string): number {
  const id = new URL(originUrl).href
  return running.logs.filter((line) => line.msg === message && line.origin === id).length
}

describe('failover between origins', { timeout: 50_000 }, () => {
  const origins: TestOrigin[] = []
  const edges: RunningEdge[] = []

  after(async () => {
    for (const running of edges) await running.stop()
    for (const origin of origins) await origin.close()
  })

  async function edgeFor(site: Record<string, unknown>): Promise<RunningEdge> {
    const running = await startEdge({ sites: [{ name: 'app', ...site }] })
    edges.push(running)
    return running
  }

  async function origin(name: string, options: Parameters<typeof startOrigin>[0] = {}): Promise<TestOrigin> {
    const started = await startOrigin({ name, ...options })
    origins.push(started)
    return started
  }

  test('a handshake whose first origin refuses the connection reaches the second', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`
    const good = await origin('good')
    const running = await edgeFor({ origins: [dead, good.url] })
    for (let client = 0; client < 4; client++) await session(`${running.wsUrl}/failover`)
    assert.equal(good.handshakes.length, 4)
    assert.ok(logCount(running, 'origin handshake failed', dead) >= 1, 'the dead origin was tried at least once')
  })

  test('with every origin down the client gets 502 with a clear body that names no origin address', async () => {
    const ports = [await closedPort(), await closedPort()]
    const running = await edgeFor({ origins: ports.map((port) => `http://127.0.0.1:${port}`) })
    const refused = await refusal(connect(`${running.wsUrl}/`))
    assert.equal(refused.status, 502)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_NO_HEALTHY_ORIGIN')
    assert.match(refused.body ?? '', /No healthy origin could be reached/)
    assert.match(refused.body ?? '', /site "app"/)
    assert.ok(!refused.body?.includes('127.0.0.1'), refused.body)
    for (const port of ports) assert.ok(!refused.body?.includes(String(port)), refused.body)
  })

  test('after passive_health.failures connect failures the dead origin is no longer tried', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`
    const good = await origin('good-passive')
    const running = await edgeFor({ origins: [dead, good.url], passive_health: { failures: 2, cooldown: '30s' } })
    for (let client = 0; client < 20 && logCount(running, 'origin down: requests to it fail', dead) === 0; client++) {
      await session(`${running.wsUrl}/`)
    }
    assert.equal(logCount(running, 'origin down: requests to it fail', dead), 1)
    const triedBefore = logCount(running, 'origin handshake failed', dead)
    assert.equal(triedBefore, 2)
    for (let client = 0; client < 8; client++) await session(`${running.wsUrl}/`)
    assert.equal(logCount(running, 'origin handshake failed', dead), triedBefore, 'the dead origin was tried during its cooldown')
  })

  test('after passive_health.failures 5xx answers an origin gets no more connections', async () => {
    let busyConnections = 0
    const busy = net.createServer((socket) => {
      busyConnections++
      socket.on('error', () => {})
      socket.once('data', () => socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy'))
    })
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    try {
      const busyUrl = `http://127.0.0.1:${(busy.address() as AddressInfo).port}`
      const good = await origin('good-5xx')
      const running = await edgeFor({ origins: [busyUrl, good.url], passive_health: { failures: 2, cooldown: '30s' } })
      const outcomes: (number | 'open')[] = []
      for (let client = 0; client < 10; client++) {
        outcomes.push(await connect(`${running.wsUrl}/`).then((ws) => { ws.terminate(); return 'open' as const }, (error: Refusal) => error.status ?? 0))
      }
      assert.equal(busyConnections, 2, `outcomes ${outcomes.join(',')}`)
      assert.equal(outcomes.filter((outcome) => outcome === 503).length, 2, 'a 5xx answer is passed to the client, not retried')
      assert.equal(outcomes.filter((outcome) => outcome === 'open').length, 8)
    } finally {
      busy.close()
    }
  })

  test('max_connections of an origin is respected; a full pool refuses with 502 and frees on close', async () => {
    const a = await origin('capped-a')
    const b = await origin('capped-b')
    const running = await edgeFor({ origins: [{ url: a.url, max_connections: 1 }, { url: b.url, max_connections: 1 }] })
    const first = await connect(`${running.wsUrl}/`)
    const second = await connect(`${running.wsUrl}/`)
    try {
      await waitFor(() => a.sockets.size === 1 && b.sockets.size === 1, 2000, 'one socket on each origin')
      const refused = await refusal(connect(`${running.wsUrl}/`))
      assert.equal(refused.status, 502)
      assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_NO_HEALTHY_ORIGIN')
      first.close()
      await waitFor(() => a.sockets.size + b.sockets.size === 1, 2000, 'the closed socket to leave its origin')
      const third = await connect(`${running.wsUrl}/`)
      third.terminate()
      assert.ok(a.sockets.size <= 1 && b.sockets.size <= 1)
    } finally {
      first.terminate()
      second.terminate()
    }
  })

  /** A TCP origin that accepts, reads the handshake, then does `behaviour` with the socket. */
  async function rawOrigin(behaviour: (socket: net.Socket) => void): Promise<{ url: string; close: () => void }> {
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.once('data', () => behaviour(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const close = (): void => {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
    origins.push({ close: async () => close() } as TestOrigin)
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close }
  }

  test('an origin that never answers the handshake gets 504 after timeouts.response', async () => {
    const silent = await rawOrigin(() => {})
    const running = await edgeFor({ origins: [silent.url], timeouts: { response: '300ms' } })
    const started = performance.now()
    const refused = await refusal(connect(`${running.wsUrl}/`))
    const elapsed = performance.now() - started
    assert.equal(refused.status, 504)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_ORIGIN_TIMEOUT')
    assert.ok(elapsed >= 250 && elapsed < 3000, `answered after ${elapsed.toFixed(0)} ms`)
  })

  test('an origin that drops the connection without answering gets 502, not a timeout', {
  }, async () => {
    const dropper = await rawOrigin((socket) => socket.resetAndDestroy())
    const running = await edgeFor({ origins: [dropper.url] })
    const refused = await refusal(connect(`${running.wsUrl}/`))
    assert.equal(refused.status, 502)
    assert.equal(refused.headers?.['x-wedge-error'], 'WEDGE_ORIGIN_GONE')
  })

  test('a 401 answer with body and custom headers reaches the client unchanged', async () => {
    const guarded = await origin('guarded', {
      refuse: { path: '/private', status: 401, body: 'login first', headers: { 'WWW-Authenticate': 'Bearer realm="wedge"', 'X-Custom': 'kept' } },
    })
    const running = await edgeFor({ origins: [guarded.url] })
    const refused = await refusal(connect(`${running.wsUrl}/private`))
    assert.equal(refused.status, 401)
    assert.equal(refused.body, 'login first')
    assert.equal(refused.headers?.['x-custom'], 'kept')
    assert.equal(refused.headers?.['www-authenticate'], 'Bearer realm="wedge"')
    assert.equal(refused.headers?.['x-wedge-error'], undefined)
  })

  test('a 503 answer reaches the client unchanged', async () => {
    const overloaded = await origin('overloaded', { refuse: { path: '/', status: 503, body: 'origin busy', headers: { 'Retry-After': '7' } } })
    const running = await edgeFor({ origins: [overloaded.url] })
    const refused = await refusal(connect(`${running.wsUrl}/`))
    assert.equal(refused.status, 503)
    assert.equal(refused.body, 'origin busy')
    assert.equal(refused.headers?.['retry-after'], '7')
    assert.equal(refused.headers?.['x-wedge-error'], undefined)
  })
})

describe('active health checks', { timeout: 50_000 }, () => {
  let flaky: TestOrigin
  let steady: TestOrigin
  let running: RunningEdge
  let healthy = true

  before(async () => {
    flaky = await startOrigin({ name: 'flaky' })
    // The health endpoint answers what the test says; other requests keep the default answer.
    const [defaultHandler] = flaky.server.listeners('request') as ((...args: unknown[]) => void)[]
    flaky.server.removeAllListeners('request')
    flaky.server.on('request', (req, res) => {
      if (req.url !== '/healthz') return defaultHandler!(req, res)
      res.writeHead(healthy ? 200 : 500)
      res.end(healthy ? 'ok' : 'sick')
    })
    steady = await startOrigin({ name: 'steady' })
    running = await startEdge({
      sites: [{
        name: 'checked',
        origins: [flaky.url, steady.url],
        // One check decides, so the flip is seen within ~interval; the timeout leaves room for a busy machine.
        health_check: { path: '/healthz', interval: '300ms', timeout: '250ms', healthy_threshold: 1, unhealthy_threshold: 1 },
      }],
    })
  })

  after(async () => {
    await running?.stop()
    await flaky?.close()
    await steady?.close()
  })

  test('an origin whose health check fails gets no new connections, and gets them again once it passes', async () => {
    for (let client = 0; client < 4; client++) await session(`${running.wsUrl}/`)
    assert.ok(flaky.handshakes.length >= 1, 'both origins serve while healthy')

    const downBefore = logCount(running, 'origin down: health checks fail', flaky.url)
    healthy = false
    await waitFor(() => logCount(running, 'origin down: health checks fail', flaky.url) > downBefore, 5000, 'the flaky origin to be marked down')
    const flakyBefore = flaky.handshakes.length
    const steadyBefore = steady.handshakes.length
    for (let client = 0; client < 6; client++) await session(`${running.wsUrl}/`)
    assert.equal(flaky.handshakes.length, flakyBefore)
    assert.equal(steady.handshakes.length, steadyBefore + 6)

    const upBefore = logCount(running, 'origin up: health checks pass again', flaky.url)
    healthy = true
    await waitFor(() => logCount(running, 'origin up: health checks pass again', flaky.url) > upBefore, 5000, 'the flaky origin to be marked up')
    for (let client = 0; client < 6; client++) await session(`${running.wsUrl}/`)
    assert.ok(flaky.handshakes.length > flakyBefore, 'the recovered origin serves again')
  })
})

describe('hash balancing on a query parameter', { timeout: 50_000 }, () => {
  const origins: TestOrigin[] = []
  let running: RunningEdge

  before(async () => {
    for (const name of ['h1', 'h2', 'h3']) origins.push(await startOrigin({ name }))
    running = await startEdge({
      sites: [{ name: 'rooms', origins: origins.map((origin) => origin.url), balance: { policy: 'hash', hash_on: 'query:room' } }],
    })
  })

  after(async () => {
    await running?.stop()
    for (const origin of origins) await origin.close()
  })

  test('every client of one room lands on the same origin, and rooms spread over the origins', async () => {
    const rooms = Array.from({ length: 10 }, (_, index) => `room-${index}`)
    for (let round = 0; round < 3; round++) {
      for (const room of rooms) await session(`${running.wsUrl}/chat?room=${room}&client=${round}`)
    }
    const placement = new Map<string, Set<number>>()
    origins.forEach((origin, index) => {
      for (const handshake of origin.handshakes) {
        const room = new URL(handshake.url, 'http://x').searchParams.get('room')!
        if (!placement.has(room)) placement.set(room, new Set())
        placement.get(room)!.add(index)
      }
    })
    assert.equal(placement.size, rooms.length)
    for (const [room, where] of placement) assert.equal(where.size, 1, `${room} was served by origins ${[...where].join(', ')}`)
    const used = new Set([...placement.values()].flatMap((where) => [...where]))
    assert.ok(used.size >= 2, `10 rooms all hashed to ${used.size} origin`)
  })
})
