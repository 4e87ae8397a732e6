import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { findWranglerFile, parseWranglerConfig, readWranglerConfig, WranglerConfigError } from '../../src/apps/wrangler-config.js'

const dir = mkdtempSync(join(tmpdir(), 'wedge-wrangler-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('wrangler file reader', () => {
  it('reads main, durable_objects, vars and rules from wrangler.toml', async () => {
    const file = join(dir, 'wrangler.toml')
    writeFileSync(file, [
      'name = "chat"',
      'main = "src/index.ts"',
      'compatibility_date = "2024-09-23"',
      '',
      '[[durable_objects.bindings]]',
      'name = "ROOMS"',
      'class_name = "ChatRoom"',
      '',
      '[[migrations]]',
      'tag = "v1"',
      'new_classes = ["ChatRoom"]',
      '',
      '[vars]',
      'GREETING = "hello"',
      '',
      '[[rules]]',
      'type = "Text"',
      'globs = ["**/*.md"]',
      'fallthrough = true',
      '',
    ].join('\n'))
    const config = await readWranglerConfig(file)
    assert.equal(config.file, file)
    assert.equal(config.main, join(dir, 'src/index.ts'))
    assert.deepEqual(config.durableObjects, [{ binding: 'ROOMS', className: 'ChatRoom' }])
    assert.deepEqual(config.vars, { GREETING: 'hello' })
    assert.deepEqual(config.rules, [{ type: 'Text', globs: ['**/*.md'], fallthrough: true }])
    assert.deepEqual(config.warnings, [], 'name, compatibility_date and migrations are ignored silently')
  })

  it('reads wrangler.json and wrangler.jsonc with comments and trailing commas', () => {
    const json = parseWranglerConfig('{"main": "index.js", "durable_objects": {"bindings": [{"name": "A", "class_name": "Counter"}]}}', join(dir, 'wrangler.json'))
    assert.equal(json.main, join(dir, 'index.js'))
    assert.deepEqual(json.durableObjects, [{ binding: 'A', className: 'Counter' }])
    const jsonc = parseWranglerConfig([
      '// the chat app',
      '{',
      '  "main": "./src/worker.ts", /* entry */',
      '  "vars": { "MODE": "dev", },',
      '}',
    ].join('\n'), join(dir, 'wrangler.jsonc'))
    assert.equal(jsonc.main, join(dir, 'src/worker.ts'))
    assert.deepEqual(jsonc.vars, { MODE: 'dev' })
    assert.deepEqual(jsonc.rules, [])
  })

  it('points at the line and column of a TOML syntax error', () => {
    const file = join(dir, 'broken.toml')
    assert.throws(() => parseWranglerConfig('main = "a.ts"\nname = = "x"\n', file), (error: unknown) => {
      assert.ok(error instanceof WranglerConfigError)
      assert.equal(error.line, 2)
      assert.match(error.message, /broken\.toml:2:8: invalid TOML: invalid value\n/)
      assert.match(error.message, /2: {2}name = = "x"/, 'the offending line is quoted')
      return true
    })
  })

  it('points at the line and column of a JSON syntax error', () => {
    assert.throws(() => parseWranglerConfig('{\n  "main": "a.ts",\n  "vars": }\n', join(dir, 'broken.json')), (error: unknown) => {
      assert.ok(error instanceof WranglerConfigError)
      assert.match(error.message, /broken\.json:3:11: invalid JSON: value expected$/)
      return true
    })
  })

  it('refuses Durable Object bindings to another script, naming the key and line', () => {
    const text = '{\n  "durable_objects": {\n    "bindings": [\n      { "name": "X", "class_name": "Y", "script_name": "other" }\n    ]\n  }\n}\n'
    assert.throws(() => parseWranglerConfig(text, join(dir, 'cross.json')), (error: unknown) => {
      assert.ok(error instanceof WranglerConfigError)
      assert.match(error.message, /cross\.json:4:41: durable_objects\.bindings\[0\]\.script_name: Durable Objects of another Worker \(script_name\) are not supported/)
      return true
    })
    assert.throws(() => parseWranglerConfig('[[durable_objects.bindings]]\nname = "X"\nclass_name = "Y"\nscript_name = "z"\n', join(dir, 'cross.toml')), /cross\.toml: durable_objects\.bindings\[0\]\.script_name: .*not supported/)
  })

  it('refuses a binding without class_name and a non-string var', () => {
    assert.throws(() => parseWranglerConfig('[[durable_objects.bindings]]\nname = "X"\n', join(dir, 'a.toml')), /durable_objects\.bindings\[0\]\.class_name: expected the exported class name \(a JavaScript identifier\), got nothing/)
    assert.throws(() => parseWranglerConfig('[vars]\nLIMIT = 10\n', join(dir, 'b.toml')), /vars\.LIMIT: Wedge vars are strings, got number 10/)
  })

  it('refuses an unknown rule type and ignores JavaScript rule types with a warning', () => {
    assert.throws(() => parseWranglerConfig('[[rules]]\ntype = "Python"\nglobs = ["*.py"]\n', join(dir, 'c.toml')), /rules\[0\]\.type: expected one of Text, Data, CompiledWasm, got string "Python"/)
    const config = parseWranglerConfig('[[rules]]\ntype = "ESModule"\nglobs = ["**/*.mjs"]\n', join(dir, 'd.toml'))
    assert.deepEqual(config.rules, [])
    assert.match(config.warnings[0]!, /rule of type ESModule ignored/)
  })

  it('warns about unknown keys with a suggestion and about bindings Wedge does not provide', () => {
    const config = parseWranglerConfig('{\n  "main": "a.ts",\n  "durable_object": {},\n  "kv_namespaces": [{ "binding": "KV", "id": "x" }]\n}\n', join(dir, 'warn.json'))
    assert.equal(config.warnings.length, 2)
    assert.match(config.warnings[0]!, /warn\.json:3:3: unknown key "durable_object" ignored \(did you mean "durable_objects"\?\)/)
    assert.match(config.warnings[1]!, /warn\.json:4:3: kv_namespaces ignored: Wedge does not provide KV bindings/)
  })

  it('finds wrangler.json before wrangler.toml and warns that both exist', async () => {
    const app = mkdtempSync(join(dir, 'app-'))
    assert.equal(await findWranglerFile(app), undefined)
    writeFileSync(join(app, 'wrangler.toml'), 'main = "a.ts"\n')
    assert.equal(await findWranglerFile(app), join(app, 'wrangler.toml'))
    writeFileSync(join(app, 'wrangler.json'), '{}')
    const warnings: string[] = []
    assert.equal(await findWranglerFile(app, (message) => warnings.push(message)), join(app, 'wrangler.json'))
    assert.match(warnings[0]!, /several wrangler files \(wrangler\.json, wrangler\.toml\); reading wrangler\.json/)
  })

  it('names the file when it cannot be read', async () => {
    await assert.rejects(readWranglerConfig(join(dir, 'missing.toml')), /missing\.toml: cannot read: ENOENT/)
  })
})
