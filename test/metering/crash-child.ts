/**
 * Run by crash.test.ts as a separate process: meters 5 connections for 150 s of a manual
 * clock from 12:00:00 (one message each way per connection per second), then kills itself
 * with SIGKILL, so nothing gets a chance to flush. Argument: the usage database file.
 */
import { Meter } from '../../src/metering/meter.js'
import { openUsageStore } from '../../src/metering/usage-store.js'
import { ManualClock, TrafficSource } from './traffic-source.js'

const [file] = process.argv.slice(2)
if (!file) throw new Error('usage: crash-child.js USAGE_FILE')
const start = Date.UTC(2025, 0, 1, 12, 0, 0)
const clock = new ManualClock(start)
const meter = new Meter({ usage: openUsageStore(file), now: clock.now })
const sources = Array.from({ length: 5 }, (_, i) => new TrafficSource(`c${i}`, 'crash', start))
for (const source of sources) meter.opened(source)
for (let second = 1; second <= 150; second++) {
  clock.advance(1000)
  for (const source of sources) {
    source.send('fromClient', 1, 10)
    source.send('toClient', 1, 20)
  }
  meter.tick()
}
process.kill(process.pid, 'SIGKILL')
