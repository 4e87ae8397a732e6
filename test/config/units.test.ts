import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatDuration, formatListen, formatSize, parseDuration, parseListen, parseSize } from '../../src/config/units.js'

describe('config units', () => {
  it('parses durations with units and plain milliseconds, NaN otherwise', () => {
    assert.deepEqual(['250ms', '30s', '1.5s', '5m', '1h', '2d', ' 10 S ', 42].map(parseDuration), [250, 30_000, 1500, 300_000, 3_600_000, 172_800_000, 10_000, 42])
    for (const bad of ['', '10', '10 minutes', '-5s', 's']) assert.ok(Number.isNaN(parseDuration(bad)), bad)
  })

  it('parses sizes in decimal and binary units, NaN otherwise', () => {
    assert.deepEqual(['512', '512B', '64KB', '64KiB', '16MiB', '1GiB', '1.5kib', 7].map(parseSize), [512, 512, 64_000, 65_536, 16_777_216, 1_073_741_824, 1536, 7])
    for (const bad of ['', '12 parsecs', 'KiB', '-1KiB']) assert.ok(Number.isNaN(parseSize(bad)), bad)
  })

  it('formats durations and sizes back into their shortest exact spelling', () => {
    assert.deepEqual([0, 500, 1500, 30_000, 60_000, 3_600_000, 86_400_000].map(formatDuration), ['0', '500ms', '1500ms', '30s', '1m', '1h', '1d'])
    assert.deepEqual([0, 100, 1000, 16_384, 67_108_864].map(formatSize), ['0', '100B', '1KB', '16KiB', '64MiB'])
    for (const ms of [1, 999, 61_000, 90_000_000]) assert.equal(parseDuration(formatDuration(ms)), ms)
  })

  it('parses listen addresses; a bare port is a port, not a host and port 0', () => {
    assert.deepEqual(parseListen('8080'), { host: '127.0.0.1', port: 8080 })
    assert.deepEqual(parseListen(':9000'), { host: '127.0.0.1', port: 9000 })
    assert.deepEqual(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 })
    assert.deepEqual(parseListen('[::1]:8443'), { host: '::1', port: 8443 })
    assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 })
    for (const bad of ['localhost8080', '::1:8080', 'host:', 'host:65536', 'a:b:1', '']) assert.equal(parseListen(bad), undefined, bad)
  })

  it('formats listen addresses with brackets around IPv6 hosts', () => {
    assert.equal(formatListen({ host: '::1', port: 1 }), '[::1]:1')
    assert.equal(formatListen({ host: '10.0.0.1', port: 80 }), '10.0.0.1:80')
  })
})
