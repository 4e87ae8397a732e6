import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { Meter } from '../../src/metering/meter.js'
import { closeCodeLabel, MAX_LABEL_VALUES_PER_SITE } from '../../src/metering/meter-metrics.js'
import { MAX_UPSTREAMS_PER_SITE } from '../../src/metering/site-tally.js'
import { ManualClock, TrafficSource } from './traffic-source.js'
import { sample } from './usage-fixtures.js'

const T0 = Date.UTC(2025, 0, 1)

test('close codes are bucketed: standard codes as themselves, 3xxx, 4xxx, other, none', () => {
  const cases: [number | undefined, string][] = [
    [1000, '1000'], [1001, '1001'], [1006, '1006'], [1011, '1011'], [1015, '1015'],
    [1016, 'other'], [2999, 'other'], [999, 'other'], [5000, 'other'], [1000.5, 'other'],
    [3000, '3xxx'], [3999, '3xxx'], [4000, '4xxx'], [4999, '4xxx'], [undefined, 'none'],
  ]
  for (const [code, label] of cases) assert.equal(closeCodeLabel(code), label, `close code ${code}`)
})

test('/metrics text has the expected series for traffic, closes, handshakes, limits and events', async () => {
  const clock = new ManualClock(T0)
  const meter = new Meter({ now: clock.now })
  const a = new TrafficSource('a', 'chat', T0, 'origin-1')
  const b = new TrafficSource('b', 'chat', T0, 'origin-2')
  const c = new TrafficSource('c', 'chat', T0, 'origin-1')
  for (const source of [a, b, c]) meter.opened(source)
  a.send('fromClient', 2, 10)
  b.send('toClient', 5, 1000)
  clock.advance(2500)
  meter.tick()
  meter.closed(a, { closeCode: 1000, closedBy: 'client' })
  meter.closed(b, { closeCode: 4001, closedBy: 'origin' })
  meter.handshake('chat', 'accepted')
  meter.handshake('chat', 'WEDGE_IP_CONNECTION_LIMIT')
  meter.limitHit('chat', 'WEDGE_MESSAGE_RATE')
  meter.event('chat', 'isolate_restart', { class: 'Room' })
  meter.event('chat', 'error')
  const text = await meter.registry.metrics()
  const expected: [string, number][] = [
    ['wedge_connections_open{site="chat",upstream="origin-1"}', 1],
    ['wedge_connections_open{site="chat",upstream="origin-2"}', 0],
    ['wedge_messages_total{site="chat",upstream="origin-1",direction="from_client"}', 2],
    ['wedge_frames_total{site="chat",upstream="origin-1",direction="from_client"}', 2],
    ['wedge_payload_bytes_total{site="chat",upstream="origin-1",direction="from_client"}', 20],
    ['wedge_wire_bytes_total{site="chat",upstream="origin-1",direction="from_client"}', 2 * 16],
    ['wedge_messages_total{site="chat",upstream="origin-2",direction="to_client"}', 5],
    ['wedge_wire_bytes_total{site="chat",upstream="origin-2",direction="to_client"}', 5 * 1004],
    ['wedge_connection_seconds_total{site="chat"}', 7.5],
    ['wedge_close_codes_total{site="chat",code="1000"}', 1],
    ['wedge_close_codes_total{site="chat",code="4xxx"}', 1],
    ['wedge_handshakes_total{site="chat",outcome="accepted"}', 1],
    ['wedge_handshakes_total{site="chat",outcome="WEDGE_IP_CONNECTION_LIMIT"}', 1],
    ['wedge_limit_hits_total{site="chat",code="WEDGE_MESSAGE_RATE"}', 1],
    ['wedge_events_total{site="chat",name="isolate_restart",class="Room"}', 1],
    ['wedge_events_total{site="chat",name="error",class=""}', 1],
  ]
  for (const [series, value] of expected) assert.equal(sample(text, series), value, series)
  assert.match(text, /^# TYPE wedge_connections_open gauge$/m)
  assert.match(text, /^# TYPE wedge_messages_total counter$/m)
  assert.match(text, /^process_cpu_user_seconds_total \d/m, 'prom-client default process metrics')
  // Directions with no traffic make no series.
  assert.equal(sample(text, 'wedge_messages_total{site="chat",upstream="origin-1",direction="to_client"}'), undefined)
})

test('a connection that ends with an error counts as event connection_error', async () => {
  const meter = new Meter()
  const source = new TrafficSource('a', 'e', Date.now())
  meter.opened(source)
  meter.closed(source, { closedBy: 'edge', error: 'ECONNRESET' })
  const text = await meter.registry.metrics()
  assert.equal(sample(text, 'wedge_events_total{site="e",name="connection_error",class=""}'), 1)
  assert.equal(sample(text, 'wedge_close_codes_total{site="e",code="none"}'), 1)
})

/** The wedge_ sample lines of a registry (one per series). */
async function wedgeSeries(meter: Meter): Promise<string[]> {
  return (await meter.registry.metrics()).split('\n').filter((line) => line.startsWith('wedge_')).map((line) => line.slice(0, line.lastIndexOf(' ')))
}

test('label cardinality is bounded: 1,000 connections on one site make the same series as one', async () => {
  const run = async (connections: number): Promise<string[]> => {
    const clock = new ManualClock(T0)
    const meter = new Meter({ now: clock.now })
    const sources = Array.from({ length: connections }, (_, i) => new TrafficSource(`conn-${i}`, 'big', T0))
    for (const source of sources) {
      meter.handshake('big', 'accepted')
      meter.opened(source)
      source.send('fromClient', 1, 10)
      source.send('toClient', 1, 10)
    }
    clock.advance(1000)
    meter.tick()
    for (const [index, source] of sources.entries()) meter.closed(source, { closeCode: 1000 + (index % 2), closedBy: 'client' })
    return wedgeSeries(meter)
  }
  const one = await run(2)
  const thousand = await run(1000)
  assert.deepEqual(thousand, one)
  assert.ok(!thousand.some((series) => series.includes('conn-')), 'no connection id in any label')
})

test('free-text label values are capped per site, the rest counted as "other"', async () => {
  const meter = new Meter()
  for (let i = 0; i < MAX_LABEL_VALUES_PER_SITE + 36; i++) meter.limitHit('s', `CODE_${i}`)
  for (let i = 0; i < MAX_UPSTREAMS_PER_SITE + 10; i++) meter.opened(new TrafficSource(`c${i}`, 's', Date.now(), `origin-${i}`))
  const series = await wedgeSeries(meter)
  assert.equal(series.filter((line) => line.startsWith('wedge_limit_hits_total')).length, MAX_LABEL_VALUES_PER_SITE + 1)
  const text = await meter.registry.metrics()
  assert.equal(sample(text, 'wedge_limit_hits_total{site="s",code="other"}'), 36)
  assert.equal(sample(text, 'wedge_connections_open{site="s",upstream="other"}'), 10)
  assert.equal(series.filter((line) => line.startsWith('wedge_connections_open')).length, MAX_UPSTREAMS_PER_SITE + 1)
})

test('meters on separate registries do not collide; a registry that has the process metrics is reused', async () => {
  const shared = new Registry()
  const first = new Meter()
  const second = new Meter()
  first.limitHit('x', 'A')
  assert.equal(sample(await second.registry.metrics(), 'wedge_limit_hits_total{site="x",code="A"}'), undefined)
  assert.equal(sample(await first.registry.metrics(), 'wedge_limit_hits_total{site="x",code="A"}'), 1)
  const { collectDefaultMetrics } = await import('prom-client')
  collectDefaultMetrics({ register: shared })
  const third = new Meter({ registry: shared })
  assert.equal(third.registry, shared)
  assert.match(await shared.metrics(), /^wedge_connections_open|^# HELP wedge_connections_open/m)
})

test('live() gives per-site open count, totals and per-second rates over the last tick', () => {
  const clock = new ManualClock(T0)
  const meter = new Meter({ now: clock.now })
  const source = new TrafficSource('a', 'dash', T0)
  meter.opened(source)
  clock.advance(1000)
  meter.tick()
  source.send('toClient', 30, 100)
  source.send('fromClient', 4, 10)
  clock.advance(2000)
  meter.tick()
  const [site] = meter.live()
  assert.equal(site!.open, 1)
  assert.equal(site!.connectionSeconds, 3)
  assert.equal(site!.rates.toClient.messagesPerSecond, 15)
  assert.equal(site!.rates.toClient.payloadBytesPerSecond, 1500)
  assert.equal(site!.rates.fromClient.messagesPerSecond, 2)
  assert.deepEqual(site!.totals.toClient, { messages: 30, frames: 30, payloadBytes: 3000, wireBytes: 30 * 102 })
  clock.advance(1000)
  meter.tick()
  assert.equal(meter.live()[0]!.rates.toClient.messagesPerSecond, 0, 'a quiet tick resets the rate')
})
