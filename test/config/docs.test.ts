import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { allKeyDocs, DOC_PATH, renderConfigurationDoc } from '../../src/config/docs.js'

describe('docs/configuration.md', () => {
  it('is what the schema generates (run "node dist/src/config/docs.js --write" after changing the schema)', async () => {
    const committed = await readFile(DOC_PATH, 'utf8')
    assert.ok(committed === renderConfigurationDoc(), 'docs/configuration.md is out of date: run "npx tsc -p . && node dist/src/config/docs.js --write"')
  })

  it('has a description for every key of the schema', () => {
    const missing = allKeyDocs().filter((key) => !key.description).map((key) => key.path)
    assert.deepEqual(missing, [], 'add .describe() to these keys in src/config/schema.ts')
  })

  it('documents every key with a row in the table of its section', () => {
    const doc = renderConfigurationDoc()
    const keys = allKeyDocs()
    assert.ok(keys.length > 60, `only ${keys.length} keys found: the schema walk lost some`)
    for (const key of ['sites.ws.ping_timeout', 'sites.origins.weight', 'sites.ws.client_message_rate.per_second', 'listeners.tls.cert']) {
      assert.ok(keys.some((entry) => entry.path.replaceAll('[]', '') === key), key)
    }
    for (const key of keys) assert.match(doc, new RegExp(`\\| \`${key.key}\` \\|`), key.path)
  })

  it('shows defaults in config spelling', () => {
    const byPath = new Map(allKeyDocs().map((key) => [key.path.replaceAll('[]', ''), key]))
    assert.equal(byPath.get('server.drain_timeout')!.default, '`30s`')
    assert.equal(byPath.get('sites.ws.max_message_size')!.default, '`64MiB`')
    assert.equal(byPath.get('sites.name')!.default, '*required*')
    assert.equal(byPath.get('sites.balance.policy')!.default, '`"round_robin"`')
  })
})
