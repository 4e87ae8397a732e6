import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { openUsageStore } from '../../src/metering/usage-store.js'
import { tempUsageStore } from './usage-fixtures.js'

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url))

test('a killed edge loses only the current minute: every completed minute is in the usage database', async (t) => {
  const { store, file } = tempUsageStore(t)
  store.close()
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
    execFile(process.execPath, [CHILD, file], { timeout: 20_000 }, (error) => resolve((error as { signal?: NodeJS.Signals } | null)?.signal ?? null))
  })
  assert.equal(signal, 'SIGKILL')
  const reopened = openUsageStore(file, { mustExist: true })
  t.after(() => reopened.close())
  const rows = reopened.query({ site: 'crash', from: 0, to: Date.UTC(2030, 0, 1), step: 'minute' })
  // 12:00 and 12:01 ended before the kill and were flushed whole; 12:02 (30 s in) was lost.
  assert.deepEqual(rows.map((row) => [row.start, row.connectionMs, row.messagesFromClient, row.messagesToClient, row.peakConcurrent]), [
    ['2025-01-01T12:00:00.000Z', 5 * 60_000, 5 * 60, 5 * 60, 5],
    ['2025-01-01T12:01:00.000Z', 5 * 60_000, 5 * 60, 5 * 60, 5],
  ])
})
