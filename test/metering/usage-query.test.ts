import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_BUCKETS, parseUsageQuery, parseUsageTime, UsageQueryError } from '../../src/metering/usage-query.js'

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0)
const parse = (query: string) => parseUsageQuery(new URLSearchParams(query), NOW)

test('times are accepted as ISO 8601, epoch ms, now, and relative to now', () => {
  assert.equal(parseUsageTime('2025-06-01T10:00:00Z', NOW, 'from'), Date.UTC(2025, 5, 1, 10))
  assert.equal(parseUsageTime('2025-06-01T10:00', NOW, 'from'), Date.UTC(2025, 5, 1, 10), 'no offset means UTC')
  assert.equal(parseUsageTime('2025-06-01', NOW, 'from'), Date.UTC(2025, 5, 1))
  assert.equal(parseUsageTime('2025-06-01T12:00:00+02:00', NOW, 'from'), Date.UTC(2025, 5, 1, 10))
  assert.equal(parseUsageTime('2025-06-01 10:00:00.5Z', NOW, 'from'), Date.UTC(2025, 5, 1, 10, 0, 0, 500))
  assert.equal(parseUsageTime('1700000000000', NOW, 'from'), 1_700_000_000_000)
  assert.equal(parseUsageTime('now', NOW, 'to'), NOW)
  assert.equal(parseUsageTime('-1h', NOW, 'from'), NOW - 3_600_000)
  assert.equal(parseUsageTime('-90m', NOW, 'from'), NOW - 90 * 60_000)
  assert.equal(parseUsageTime('-7d', NOW, 'from'), NOW - 7 * 86_400_000)
})

test('bad times name the parameter and the accepted forms', () => {
  assert.throws(() => parseUsageTime('yesterday', NOW, 'from'), { name: 'UsageQueryError', message: /^from: expected an ISO 8601 time .*got "yesterday"$/ })
  assert.throws(() => parseUsageTime('2025-02-30', NOW, 'to'), { message: 'to: "2025-02-30" is not a valid date and time' })
  assert.throws(() => parseUsageTime('2025-06-01T25:00Z', NOW, 'to'), { message: 'to: "2025-06-01T25:00Z" is not a valid date and time' })
  assert.throws(() => parseUsageTime('-1y', NOW, 'from'), /from: expected/)
})

test('parseUsageQuery fills defaults: to now, from one hour back, step minute, every site', () => {
  assert.deepEqual(parse(''), { from: NOW - 3_600_000, to: NOW, step: 'minute' })
  assert.deepEqual(parse('step=day'), { from: NOW - 30 * 86_400_000, to: NOW, step: 'day' })
  assert.deepEqual(parse('site=&step=hour'), { from: NOW - 86_400_000, to: NOW, step: 'hour' })
  assert.deepEqual(parse('site=chat&from=2025-06-15T00:00:00Z&to=-1h&step=hour'), { site: 'chat', from: Date.UTC(2025, 5, 15), to: NOW - 3_600_000, step: 'hour' })
})

test('parseUsageQuery refuses bad parameters with 400 messages that name them', () => {
  const refuses = (query: string, message: string | RegExp, parameter: string) => {
    assert.throws(() => parse(query), (error: unknown) => {
      assert.ok(error instanceof UsageQueryError)
      assert.equal(error.status, 400)
      assert.equal(error.parameter, parameter)
      if (typeof message === 'string') assert.equal(error.message, message)
      else assert.match(error.message, message)
      return true
    })
  }
  refuses('step=week', 'step: expected minute, hour or day, got "week"', 'step')
  refuses('sites=a', 'unknown parameter "sites" (expected site, from, to, step)', 'sites')
  refuses('step=hour&step=day', 'parameter step given 2 times', 'step')
  refuses('from=2025-06-15T12:00:00Z&to=2025-06-15T11:00:00Z', 'from (2025-06-15T12:00:00.000Z) must be before to (2025-06-15T11:00:00.000Z)', 'from')
  refuses('from=0&step=minute', new RegExp(`^from\\.\\.to spans \\d+ minutes; at most ${MAX_BUCKETS} buckets per query: use a larger step or a shorter range$`), 'from')
  refuses('site=a%00b', /^site: expected a site name/, 'site')
  refuses('to=soon', /^to: expected/, 'to')
})
