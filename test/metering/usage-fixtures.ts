import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openUsageStore, usageStorePath, type UsageStore } from '../../src/metering/usage-store.js'

/** A real usage database in a fresh temp data dir, closed and removed after the test. */
export function tempUsageStore(t: { after: (fn: () => void) => void }): { store: UsageStore; dataDir: string; file: string } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wedge-usage-'))
  const file = usageStorePath(dataDir)
  const store = openUsageStore(file)
  t.after(() => {
    try {
      store.close()
    } catch {
      // already closed by the test
    }
    rmSync(dataDir, { recursive: true, force: true })
  })
  return { store, dataDir, file }
}

/** The value of one sample line of Prometheus text ("name{labels}"), or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return undefined
}

export const minute = (iso: string): number => Date.parse(iso)
