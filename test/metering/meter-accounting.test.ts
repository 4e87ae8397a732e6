import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Meter } from '../../src/metering/meter.js'
import { frameWireBytes, ManualClock, TrafficSource } from './traffic-source.js'
import { minute, sample, tempUsageStore } from './usage-fixtures.js'

const FAR = Date.UTC(2030, 0, 1)

test('N connections × T seconds × M messages: the minute records sum exactly to what was sent', async (t) => {
  const { store } = tempUsageStore(t)
  const start = minute('2025-01-01T12:00:30.250Z')
  const clock = new ManualClock(start)
  const meter = new Meter({ usage: store, now: clock.now })
  const N = 20, T = 150, M = 3
  const sources = Array.from({ length: N }, (_, i) => new TrafficSource(`c${i}`, 'chat', start))
  for (const source of sources) {
    meter.handshake('chat', 'accepted')
    meter.opened(source)
  }
  for (let second = 1; second <= T; second++) {
    clock.advance(1000)
    for (const source of sources) {
      source.send('fromClient', M, 100)
      source.send('toClient', 2 * M, 300)
    }
    meter.tick()
  }
  // The last stretch ends between ticks, after the 12:03 boundary: closed() accounts it.
  clock.advance(400)
  for (const source of sources) {
    source.send('fromClient', 1, 100)
    meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  }
  await meter.stop()

  const rows = store.query({ site: 'chat', from: 0, to: FAR, step: 'minute' })
  assert.deepEqual(rows.map((row) => row.start), ['2025-01-01T12:00:00.000Z', '2025-01-01T12:01:00.000Z', '2025-01-01T12:02:00.000Z', '2025-01-01T12:03:00.000Z'])
  // Connection time split exactly at the minute boundaries: 29.75 s, 60 s, 60 s, 0.65 s each.
  assert.deepEqual(rows.map((row) => row.connectionMs), [29_750 * N, 60_000 * N, 60_000 * N, 650 * N])
  const sum = (field: 'connectionMs' | 'messagesFromClient' | 'messagesToClient' | 'payloadBytesFromClient' | 'payloadBytesToClient' | 'wireBytesFromClient' | 'wireBytesToClient' | 'handshakesAccepted') => rows.reduce((total, row) => total + row[field], 0)
  const messagesIn = N * (T * M + 1)
  const messagesOut = N * T * 2 * M
  assert.equal(sum('connectionMs'), N * (T * 1000 + 400))
  assert.equal(sum('messagesFromClient'), messagesIn)
  assert.equal(sum('messagesToClient'), messagesOut)
  assert.equal(sum('payloadBytesFromClient'), messagesIn * 100)
  assert.equal(sum('payloadBytesToClient'), messagesOut * 300)
  assert.equal(sum('wireBytesFromClient'), messagesIn * frameWireBytes(100, true))
  assert.equal(sum('wireBytesToClient'), messagesOut * frameWireBytes(300, false))
  assert.equal(sum('handshakesAccepted'), N)
  // Each sweep's traffic belongs to the minute its interval began in: 30 intervals start in 12:00.
  assert.deepEqual(rows.map((row) => row.messagesFromClient), [30 * M * N, 60 * M * N, 60 * M * N, N])
  assert.deepEqual(rows.map((row) => row.peakConcurrent), [N, N, N, N])
  assert.equal(rows[0]!.connectionMinutes, (29_750 * N) / 60_000)

  // The Prometheus counters agree with the records.
  const text = await meter.registry.metrics()
  assert.equal(sample(text, 'wedge_messages_total{site="chat",upstream="origin-1",direction="from_client"}'), messagesIn)
  assert.equal(sample(text, 'wedge_payload_bytes_total{site="chat",upstream="origin-1",direction="to_client"}'), messagesOut * 300)
  assert.equal(sample(text, 'wedge_connection_seconds_total{site="chat"}'), N * (T + 0.4))
  assert.equal(sample(text, 'wedge_connections_open{site="chat",upstream="origin-1"}'), 0)
})

test('connection time is exact for connections that open and close between ticks', async (t) => {
  const { store } = tempUsageStore(t)
  const clock = new ManualClock(minute('2025-01-01T00:00:00Z'))
  const meter = new Meter({ usage: store, now: clock.now })
  clock.advance(300)
  const short = new TrafficSource('short', 's', clock.time)
  meter.opened(short)
  clock.advance(450)
  meter.closed(short, { closeCode: 1000, closedBy: 'client' })
  // Established 200 ms before the meter heard of it: its time counts from startedAt.
  const late = new TrafficSource('late', 's', clock.time)
  clock.advance(200)
  meter.opened(late)
  meter.tick()
  clock.advance(1000)
  meter.tick()
  clock.advance(123)
  meter.closed(late, { closedBy: 'origin' })
  await meter.stop()
  const [row] = store.query({ from: 0, to: FAR, step: 'minute' })
  assert.equal(row!.connectionMs, 450 + 200 + 1000 + 123)
})

test('an hour-long connection accrues connection time every minute while it is open', async (t) => {
  const { store } = tempUsageStore(t)
  const start = minute('2025-01-01T08:00:10Z')
  const clock = new ManualClock(start)
  const meter = new Meter({ usage: store, now: clock.now })
  const source = new TrafficSource('long', 'feed', start)
  meter.opened(source)
  for (let second = 1; second <= 3600; second++) {
    clock.advance(1000)
    source.send('toClient', 1, 10)
    meter.tick()
    if (second % 600 !== 0) continue
    // Still open: every minute that has ended is already in the store, fully accrued.
    const rows = store.query({ site: 'feed', from: 0, to: FAR, step: 'minute' })
    const completed = Math.floor((start + second * 1000) / 60_000) - Math.floor(start / 60_000)
    assert.equal(rows.length, completed)
    assert.deepEqual(rows.map((row) => row.connectionMs), [50_000, ...Array(completed - 1).fill(60_000)])
    assert.equal(sample(await meter.registry.metrics(), 'wedge_connection_seconds_total{site="feed"}'), second)
  }
  meter.closed(source, { closeCode: 1001, closedBy: 'edge' })
  await meter.stop()
  const [hour] = store.query({ site: 'feed', from: 0, to: FAR, step: 'day' })
  assert.equal(hour!.connectionMs, 3_600_000)
  assert.equal(hour!.connectionMinutes, 60)
  assert.equal(hour!.messagesToClient, 3600)
})

test('peak concurrency is the most connections open at once in each minute, carried across quiet minutes', async (t) => {
  const { store } = tempUsageStore(t)
  const clock = new ManualClock(minute('2025-01-01T00:00:00Z'))
  const meter = new Meter({ usage: store, now: clock.now })
  const sources = Array.from({ length: 5 }, (_, i) => new TrafficSource(`c${i}`, 'p', clock.time))
  for (const source of sources) meter.opened(source)
  for (const source of sources.slice(0, 3)) meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  const more = Array.from({ length: 2 }, (_, i) => new TrafficSource(`m${i}`, 'p', clock.time))
  for (const source of more) meter.opened(source)
  // Minute 1: nothing happens but 4 stay open; minute 2: they close one by one.
  for (let i = 0; i < 120; i++) {
    clock.advance(1000)
    meter.tick()
  }
  clock.advance(5000)
  for (const source of [...sources.slice(3), ...more]) {
    clock.advance(1000)
    meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  }
  clock.advance(60_000)
  meter.tick()
  await meter.stop()
  const rows = store.query({ site: 'p', from: 0, to: FAR, step: 'minute' })
  assert.deepEqual(rows.map((row) => [row.start.slice(11, 16), row.peakConcurrent]), [['00:00', 5], ['00:01', 4], ['00:02', 4]])
  assert.equal(store.query({ site: 'p', from: 0, to: FAR, step: 'hour' })[0]!.peakConcurrent, 5)
})

test('handshakes accepted and refused are counted per minute and per outcome', async (t) => {
  const { store } = tempUsageStore(t)
  const clock = new ManualClock(minute('2025-01-01T00:00:59.900Z'))
  const meter = new Meter({ usage: store, now: clock.now })
  meter.handshake('a', 'accepted')
  meter.handshake('a', 'WEDGE_IP_HANDSHAKE_RATE')
  clock.advance(200)
  meter.handshake('a', 'accepted')
  meter.handshake('a', 'WEDGE_SITE_CONNECTION_LIMIT')
  meter.handshake('a', 'WEDGE_SITE_CONNECTION_LIMIT')
  await meter.stop()
  const rows = store.query({ site: 'a', from: 0, to: FAR, step: 'minute' })
  assert.deepEqual(rows.map((row) => [row.handshakesAccepted, row.handshakesRefused]), [[1, 1], [1, 2]])
  const text = await meter.registry.metrics()
  assert.equal(sample(text, 'wedge_handshakes_total{site="a",outcome="accepted"}'), 2)
  assert.equal(sample(text, 'wedge_handshakes_total{site="a",outcome="WEDGE_SITE_CONNECTION_LIMIT"}'), 2)
  assert.equal(sample(text, 'wedge_handshakes_total{site="a",outcome="WEDGE_IP_HANDSHAKE_RATE"}'), 1)
  assert.deepEqual(meter.live()[0]!.handshakes, { accepted: 2, refused: 3 })
})

test('stop() flushes the current partial minute, and a restarted meter adds to it', async (t) => {
  const { store } = tempUsageStore(t)
  const clock = new ManualClock(minute('2025-01-01T10:00:05Z'))
  const first = new Meter({ usage: store, now: clock.now })
  const before = new TrafficSource('a', 'r', clock.time)
  first.opened(before)
  clock.advance(10_000)
  before.send('fromClient', 7, 5)
  first.closed(before, { closeCode: 1001, closedBy: 'edge' })
  assert.equal(store.query({ from: 0, to: FAR, step: 'minute' }).length, 0, 'nothing is flushed before the minute ends')
  await first.stop()
  assert.deepEqual(store.query({ from: 0, to: FAR, step: 'minute' }).map((row) => [row.connectionMs, row.messagesFromClient]), [[10_000, 7]])

  const second = new Meter({ usage: store, now: clock.now })
  const after = new TrafficSource('b', 'r', clock.advance(1000))
  second.opened(after)
  clock.advance(20_000)
  after.send('fromClient', 3, 5)
  await second.stop()
  const [row] = store.query({ from: 0, to: FAR, step: 'minute' })
  assert.deepEqual([row!.connectionMs, row!.messagesFromClient, row!.peakConcurrent], [30_000, 10, 1])
})

test('a failed flush keeps the records and writes them with the next one', async (t) => {
  const { store } = tempUsageStore(t)
  const errors: unknown[] = []
  let failures = 1
  // The real store behind a switch that fails once, as a full disk would.
  const flaky = { ...store, query: store.query.bind(store), sites: store.sites.bind(store), close: store.close.bind(store),
    flush(records: Parameters<typeof store.flush>[0]) {
      if (failures-- > 0) throw new Error('disk full')
      store.flush(records)
    } }
  const clock = new ManualClock(minute('2025-01-01T00:00:00Z'))
  const meter = new Meter({ usage: flaky, now: clock.now, onError: (error) => errors.push(error) })
  const source = new TrafficSource('a', 'f', clock.time)
  meter.opened(source)
  clock.advance(60_000)
  source.send('toClient', 4, 1)
  meter.tick()
  assert.equal(errors.length, 1)
  assert.equal(meter.pending().length, 2, 'minute 0 kept, minute 1 started')
  clock.advance(60_000)
  meter.tick()
  clock.advance(500)
  meter.closed(source, { closedBy: 'client' })
  await meter.stop()
  const rows = store.query({ from: 0, to: FAR, step: 'minute' })
  assert.deepEqual(rows.map((row) => row.connectionMs), [60_000, 60_000, 500])
  assert.equal(rows[0]!.messagesToClient, 4)
})

test('a wall clock that steps back adds no negative time', async () => {
  const clock = new ManualClock(minute('2025-01-01T00:00:00Z'))
  const meter = new Meter({ now: clock.now })
  const source = new TrafficSource('a', 'w', clock.time)
  meter.opened(source)
  clock.advance(5000)
  meter.tick()
  clock.advance(-3000)
  meter.tick()
  clock.advance(4000)
  meter.closed(source, { closedBy: 'client' })
  assert.equal(meter.live()[0]!.connectionSeconds, 6)
})

test('start() ticks on its own timer and live() reports rates over the last tick', async (t) => {
  const meter = new Meter({ tickMs: 20 })
  t.after(() => meter.stop())
  const source = new TrafficSource('a', 'live', Date.now(), 'app:Room', 'app')
  meter.opened(source)
  meter.start()
  const deadline = Date.now() + 2000
  while (meter.live()[0]!.connectionSeconds < 0.1 && Date.now() < deadline) {
    source.send('toClient', 10, 50)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const [site] = meter.live()
  assert.ok(site!.connectionSeconds >= 0.1, `accrued ${site!.connectionSeconds} s`)
  assert.ok(site!.totals.toClient.messages > 0)
  assert.ok(site!.rates.toClient.messagesPerSecond > 0)
  assert.deepEqual(site!.upstreams.map((u) => [u.upstream, u.kind, u.open]), [['app:Room', 'app', 1]])
})

test('flush() mid-minute writes the partial minute, and what accrues after adds to it', async (t) => {
  const { store } = tempUsageStore(t)
  const clock = new ManualClock(minute('2025-01-01T00:00:00Z'))
  const meter = new Meter({ usage: store, now: clock.now })
  const source = new TrafficSource('a', 'm', clock.time)
  meter.opened(source)
  clock.advance(15_000)
  source.send('fromClient', 2, 1)
  meter.flush()
  assert.deepEqual(store.query({ from: 0, to: FAR, step: 'minute' }).map((row) => [row.connectionMs, row.messagesFromClient]), [[15_000, 2]])
  assert.equal(meter.pending().length, 0)
  clock.advance(15_000)
  source.send('fromClient', 3, 1)
  meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  await meter.stop()
  assert.deepEqual(store.query({ from: 0, to: FAR, step: 'minute' }).map((row) => [row.connectionMs, row.messagesFromClient, row.peakConcurrent]), [[30_000, 5, 1]])
})

test('the tick timer fires on the minute boundary, so an ended minute is flushed at once', async (t) => {
  const { store } = tempUsageStore(t)
  const clock = new ManualClock(minute('2025-01-01T12:00:59.990Z'))
  // tickMs is long: only the boundary alignment (10 ms away on this clock) can flush in time.
  const meter = new Meter({ usage: store, now: clock.now, tickMs: 30_000 })
  t.after(() => meter.stop())
  const source = new TrafficSource('a', 'b', clock.time - 9_990)
  meter.opened(source)
  meter.start()
  clock.time = minute('2025-01-01T12:01:00Z')
  const deadline = Date.now() + 2000
  while (store.query({ from: 0, to: FAR, step: 'minute' }).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  assert.deepEqual(store.query({ from: 0, to: FAR, step: 'minute' }).map((row) => [row.start, row.connectionMs]), [['2025-01-01T12:00:00.000Z', 10_000]])
  meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  await meter.stop()
})
