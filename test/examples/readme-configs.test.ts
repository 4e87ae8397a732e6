import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { loadConfigText } from '../../src/config/load.js'
import { EXAMPLES_DIR } from './example-harness.js'

const REPO_ROOT = path.dirname(path.resolve(EXAMPLES_DIR))

/** The README of examples/ and of each example. */
const READMES = [
  path.join(EXAMPLES_DIR, 'README.md'),
  ...readdirSync(EXAMPLES_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => path.join(EXAMPLES_DIR, entry.name, 'README.md')),
]

test('every example has a README whose Wedge configs are valid and name an existing wrangler.toml', () => {
  assert.equal(READMES.length, 5)
  for (const readme of READMES) {
    const text = readFileSync(readme, 'utf8')
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!)
    assert.ok(blocks.length >= 1, `${readme} shows a Wedge config`)
    for (const block of blocks) {
      // The READMEs put wedge.yaml next to the examples/ folder.
      const config = loadConfigText(block, path.join(REPO_ROOT, 'wedge.yaml'), { env: {} })
      for (const site of config.sites) {
        assert.ok(site.app?.wrangler !== undefined && existsSync(site.app.wrangler), `${readme}: site ${site.name} names ${site.app?.wrangler}`)
      }
    }
  }
})
