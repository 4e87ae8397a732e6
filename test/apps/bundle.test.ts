import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { AppBuildError, buildApp, type AppSource } from '../../src/apps/bundle.js'
import { appSchema } from '../../src/config/app-schema.js'
import { globToRegExp } from '../../src/apps/module-rules.js'

const root = mkdtempSync(join(tmpdir(), 'wedge-bundle-'))
after(() => rmSync(root, { recursive: true, force: true }))

let appCount = 0
/** Writes an app's files into a fresh directory and returns it. */
function writeApp(files: Record<string, string | Uint8Array>): string {
  const dir = join(root, `app-${++appCount}`)
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), content)
  }
  return dir
}

const app = (overrides: Partial<AppSource>): AppSource => ({ main: undefined, wrangler: undefined, durable_objects: undefined, vars: undefined, ...overrides })

async function buildError(source: AppSource, dir: string): Promise<AppBuildError> {
  try {
    await buildApp(source, dir)
  } catch (error) {
    assert.ok(error instanceof AppBuildError, `expected AppBuildError, got ${String(error)}`)
    return error
  }
  assert.fail('the build succeeded')
}

const CHAT_APP = [
  "import { DurableObject } from 'cloudflare:workers'",
  "import page from './public/index.html'",
  "import logo from './logo.bin'",
  'interface Env { ROOMS: DurableObjectNamespace }',
  'type DurableObjectNamespace = { idFromName(name: string): unknown }',
  'export class ChatRoom extends DurableObject {',
  '  count: number = 0',
  '}',
  'export default {',
  '  async fetch(request: Request, env: Env): Promise<Response> {',
  '    return new Response(page + String(logo) + String(env.ROOMS))',
  '  },',
  '}',
].join('\n')

describe('app bundler', () => {
  it('bundles a TypeScript app with a Durable Object class, a text module and a data module', async () => {
    const dir = writeApp({
      'wrangler.toml': 'main = "src/index.ts"\n[[durable_objects.bindings]]\nname = "ROOMS"\nclass_name = "ChatRoom"\n[vars]\nGREETING = "hi"\nMODE = "wrangler"\n',
      'src/index.ts': CHAT_APP,
      'src/public/index.html': '<h1>chat</h1>\n',
      'src/logo.bin': new Uint8Array([0, 1, 2, 255]),
    })
    const build = await buildApp(app({ wrangler: 'wrangler.toml', vars: { MODE: 'app' } }), dir)
    assert.match(build.code, /import \{ DurableObject \} from "cloudflare:workers"/)
    assert.match(build.code, /import page from "src\/public\/index\.html"/)
    assert.match(build.code, /import logo from "src\/logo\.bin"/)
    assert.match(build.code, /export \{[^}]*ChatRoom[^}]*\}/)
    assert.doesNotMatch(build.code, /interface Env|: Promise<Response>/, 'TypeScript is compiled away')
    assert.deepEqual(build.modules, {
      'src/public/index.html': { type: 'text', value: '<h1>chat</h1>\n' },
      'src/logo.bin': { type: 'data', value: new Uint8Array([0, 1, 2, 255]) },
    })
    assert.deepEqual(build.durableObjects, [{ binding: 'ROOMS', className: 'ChatRoom' }])
    assert.deepEqual(build.vars, { GREETING: 'hi', MODE: 'app' }, 'the app config overrides wrangler vars by name')
  })

  it('builds the same bytes twice from the same sources', async () => {
    const dir = writeApp({ 'index.js': "import t from './a.txt'\nexport default { fetch() { return new Response(t) } }\n", 'a.txt': 'x' })
    // A site's parsed `app:` config is what the edge passes.
    const config = appSchema.parse({ main: 'index.js' })
    const [first, second] = [await buildApp(config, dir), await buildApp(config, dir)]
    assert.equal(first.code, second.code)
    assert.deepEqual(first.modules, second.modules)
  })

  it('applies custom wrangler rules before the default ones', async () => {
    const dir = writeApp({
      'wrangler.json': '{ "main": "index.js", "rules": [{ "type": "Data", "globs": ["**/*.txt"] }] }',
      'index.js': "import a from './a.txt'\nimport b from './b.md'\nexport default { fetch() { return new Response(a) } }\n",
      'a.txt': 'bytes',
      'b.md': '# not a module',
    })
    await assert.rejects(buildApp(app({ wrangler: 'wrangler.json' }), dir), /index\.js:2:15: No loader is configured for "\.md" files: b\.md/)
    writeFileSync(join(dir, 'index.js'), "import a from './a.txt'\nexport default { fetch() { return new Response(a) } }\n")
    const build = await buildApp(app({ wrangler: 'wrangler.json' }), dir)
    assert.deepEqual(build.modules['a.txt'], { type: 'data', value: new TextEncoder().encode('bytes') })
  })

  it('refuses a node: import, naming the file, line and import', async () => {
    const dir = writeApp({ 'src/index.ts': "import { readFileSync } from 'node:fs'\nexport default { fetch() { return new Response(String(readFileSync)) } }\n" })
    const error = await buildError(app({ main: 'src/index.ts' }), dir)
    assert.equal(error.messages.length, 1)
    assert.match(error.message, /src\/index\.ts:1:30: Node\.js built-in "node:fs" cannot be imported/)
  })

  it('refuses a bare Node built-in that is not installed as a package', async () => {
    const dir = writeApp({ 'index.js': "import path from 'path'\nexport default { fetch() { return new Response(path.sep) } }\n" })
    assert.match((await buildError(app({ main: 'index.js' }), dir)).message, /index\.js:1:18: Node\.js built-in "path" cannot be imported/)
  })

  it('reports a syntax error with file, line and column', async () => {
    const dir = writeApp({ 'index.ts': 'export default {\n  fetch() {\n    return new Response(\n  },\n}\n' })
    const error = await buildError(app({ main: 'index.ts' }), dir)
    assert.equal(error.messages[0]!.line, 4)
    assert.match(error.message, /index\.ts:4:\d+: /)
    assert.match(error.message, /\n {4}4 \| {3}\},\n {6}\| {3}\^/, 'the offending line is shown')
  })

  it('refuses a Durable Object class that main does not export', async () => {
    const dir = writeApp({ 'index.ts': 'class Room {}\nexport default { fetch() { return new Response(String(Room)) } }\n' })
    const error = await buildError(app({ main: 'index.ts', durable_objects: [{ name: 'ROOMS', class_name: 'Room' }] }), dir)
    assert.match(error.message, /^class Room \(Durable Object binding "ROOMS"\) is not exported by main/)
  })

  it('refuses a main module without a default export', async () => {
    const dir = writeApp({ 'index.js': "addEventListener('fetch', () => {})\n" })
    assert.match((await buildError(app({ main: 'index.js' }), dir)).message, /has no default export.*service-worker syntax/)
  })

  it('refuses WebAssembly unless allowed, then compiles it from a data module', async () => {
    const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
    const dir = writeApp({ 'index.js': "import mod from './m.wasm'\nexport default { fetch() { return new Response(String(mod)) } }\n", 'm.wasm': wasm })
    assert.match((await buildError(app({ main: 'index.js' }), dir)).message, /index\.js:1:17: WebAssembly module "\.\/m\.wasm".*allow_wasm: true/)
    const build = await buildApp(app({ main: 'index.js', allow_wasm: true }), dir)
    assert.deepEqual(build.modules, { 'm.wasm': { type: 'data', value: wasm } })
    assert.match(build.code, /import bytes from "m\.wasm";\s+var \w+ = new WebAssembly\.Module\(bytes\)/)
  })

  it('explains a missing main, a missing main file and a broken wrangler file', async () => {
    const dir = writeApp({ 'wrangler.toml': 'name = "x"\n', 'bad.toml': 'main = \n' })
    assert.match((await buildError(app({}), dir)).message, /needs "main".*or "wrangler"/)
    assert.match((await buildError(app({ wrangler: 'wrangler.toml' }), dir)).message, /wrangler\.toml has no "main"/)
    assert.match((await buildError(app({ main: 'nope.ts' }), dir)).message, /main module .*nope\.ts does not exist/)
    assert.match((await buildError(app({ wrangler: 'bad.toml' }), dir)).message, /bad\.toml:1:\d+: invalid TOML/)
  })

  it('passes warnings from the wrangler file to onWarning', async () => {
    const dir = writeApp({ 'wrangler.toml': 'main = "a.js"\ntriggers = { crons = ["* * * * *"] }\n', 'a.js': 'export default {}\n' })
    const warnings: string[] = []
    await buildApp(app({ wrangler: 'wrangler.toml' }), dir, { onWarning: (message) => warnings.push(message) })
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /triggers ignored: Wedge does not provide cron triggers/)
  })
})

describe('module rule globs', () => {
  it('match like wrangler: ** crosses directories, * does not, ? is literal', () => {
    const html = globToRegExp('**/*.html')
    for (const path of ['index.html', './index.html', '../a/b/index.html', 'pkg/x.html']) assert.ok(html.test(path), path)
    assert.ok(!html.test('index.htm'))
    const top = globToRegExp('*.txt')
    assert.ok(top.test('a.txt'))
    assert.ok(!top.test('./a.txt'))
    const wasm = globToRegExp('**/*.wasm?module')
    assert.ok(wasm.test('./m.wasm?module'))
    assert.ok(!wasm.test('./m.wasmXmodule'))
  })
})
