import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ErrorCatalogue } from '../../src/errors.js'

test('docs/errors.md lists every catalogue entry with its status, close code and message', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  const rows = new Map<string, string[]>()
  for (const match of doc.matchAll(/^\| `([A-Z_]+)` \| (.+) \|$/gm)) rows.set(match[1]!, match[2]!.split(' | '))
  for (const [code, entry] of Object.entries(ErrorCatalogue)) {
    assert.deepEqual(rows.get(code), [String(entry.status), String(entry.close), entry.message], `row for ${code}`)
  }
  assert.equal(rows.size, Object.keys(ErrorCatalogue).length, 'no stale rows')
})
