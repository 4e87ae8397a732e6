import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openUsageStore } from '../../src/metering/usage-store.js'
import { emptyUsageRecord, type UsageRecord } from '../../src/metering/usage-record.js'
import { minute, tempUsageStore } from './usage-fixtures.js'

const FAR = Date.UTC(2030, 0, 1)

function record(site: string, iso: string, fields: Partial<UsageRecord>): UsageRecord {
  return { ...emptyUsageRecord(site, minute(iso)), ...fields }
}

test('flush adds to the stored record of the same site and minute; the peak is the maximum', (t) => {
  const { store } = tempUsageStore(t)
  store.flush([record('a', '2025-03-01T10:00:00Z', { connectionMs: 1000, messagesFromClient: 2, peakConcurrent: 3, handshakesAccepted: 1 })])
  store.flush([record('a', '2025-03-01T10:00:00Z', { connectionMs: 500, messagesFromClient: 5, peakConcurrent: 2, handshakesRefused: 4 })])
  const [row, ...rest] = store.query({ from: 0, to: FAR, step: 'minute' })
  assert.equal(rest.length, 0)
  assert.deepEqual(
    [row!.connectionMs, row!.connectionMinutes, row!.messagesFromClient, row!.peakConcurrent, row!.handshakesAccepted, row!.handshakesRefused],
    [1500, 1500 / 60_000, 7, 3, 1, 4],
  )
  assert.equal(row!.start, '2025-03-01T10:00:00.000Z')
  assert.equal(row!.startMs, minute('2025-03-01T10:00:00Z'))
})

test('query sums minutes per hour and per UTC day, per site, oldest first', (t) => {
  const { store } = tempUsageStore(t)
  store.flush([
    record('a', '2025-03-01T10:00:00Z', { connectionMs: 60_000, wireBytesToClient: 100, peakConcurrent: 1 }),
    record('a', '2025-03-01T10:59:00Z', { connectionMs: 60_000, wireBytesToClient: 200, peakConcurrent: 7 }),
    record('a', '2025-03-01T11:00:00Z', { connectionMs: 30_000, wireBytesToClient: 400, peakConcurrent: 2 }),
    record('a', '2025-03-02T00:00:00Z', { connectionMs: 6_000, wireBytesToClient: 800, peakConcurrent: 9 }),
    record('b', '2025-03-01T10:30:00Z', { connectionMs: 1, payloadBytesFromClient: 5 }),
  ])
  const hours = store.query({ site: 'a', from: 0, to: FAR, step: 'hour' })
  assert.deepEqual(hours.map((row) => [row.start, row.connectionMs, row.wireBytesToClient, row.peakConcurrent]), [
    ['2025-03-01T10:00:00.000Z', 120_000, 300, 7],
    ['2025-03-01T11:00:00.000Z', 30_000, 400, 2],
    ['2025-03-02T00:00:00.000Z', 6_000, 800, 9],
  ])
  assert.equal(hours[0]!.connectionMinutes, 2)
  const days = store.query({ from: 0, to: FAR, step: 'day' })
  assert.deepEqual(days.map((row) => [row.site, row.start, row.connectionMs, row.peakConcurrent]), [
    ['a', '2025-03-01T00:00:00.000Z', 150_000, 7],
    ['a', '2025-03-02T00:00:00.000Z', 6_000, 9],
    ['b', '2025-03-01T00:00:00.000Z', 1, 0],
  ])
  assert.deepEqual(store.sites(), ['a', 'b'])
})

test('query takes the minutes that start in [from, to)', (t) => {
  const { store } = tempUsageStore(t)
  store.flush(['10:00', '10:01', '10:02', '10:03'].map((hm) => record('a', `2025-03-01T${hm}:00Z`, { messagesToClient: 1 })))
  const rows = store.query({ from: minute('2025-03-01T10:01:00Z'), to: minute('2025-03-01T10:03:00Z'), step: 'minute' })
  assert.deepEqual(rows.map((row) => row.start.slice(11, 16)), ['10:01', '10:02'])
  assert.equal(store.query({ site: 'nobody', from: 0, to: FAR, step: 'day' }).length, 0)
})

test('a flush with an invalid record writes nothing of the batch', (t) => {
  const { store } = tempUsageStore(t)
  const good = record('a', '2025-03-01T10:00:00Z', { messagesToClient: 1 })
  assert.throws(() => store.flush([good, record('a', '2025-03-01T10:01:00Z', { messagesToClient: -1 })]), /messagesToClient is -1, expected a whole number ≥ 0/)
  assert.throws(() => store.flush([{ ...good, minute: good.minute + 5 }]), /is not the start of a minute/)
  assert.throws(() => store.flush([record('a', '2025-03-01T10:00:00Z', { connectionMs: 1.5 })]), /connectionMs is 1.5/)
  assert.equal(store.query({ from: 0, to: FAR, step: 'minute' }).length, 0)
})

test('records persist across closing and reopening the file', (t) => {
  const { store, file } = tempUsageStore(t)
  store.flush([record('a', '2025-03-01T10:00:00Z', { wireBytesFromClient: 42 })])
  store.close()
  const again = openUsageStore(file, { mustExist: true })
  t.after(() => again.close())
  assert.equal(again.query({ from: 0, to: FAR, step: 'minute' })[0]!.wireBytesFromClient, 42)
  assert.throws(() => openUsageStore(`${file}.missing`, { mustExist: true }), /unable to open|does not exist|directory does not exist/i)
})
