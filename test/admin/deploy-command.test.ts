import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { AdminServer } from '../../src/admin/admin-server.js'
import { runDeployCommand } from '../../src/cli/deploy-command.js'
import { runRollbackCommand } from '../../src/cli/rollback-command.js'
import { StoreController } from './store-controller.js'
import { appsOnlyContext } from './apps-only-context.js'

const root = mkdtempSync(join(tmpdir(), 'wedge-deploy-'))
after(() => rmSync(root, { recursive: true, force: true }))

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), content)
  }
  return dir
}

const CHAT = writeFiles(join(root, 'chat'), {
  'wrangler.toml': 'name = "chat"\nmain = "src/index.ts"\n[[durable_objects.bindings]]\nname = "ROOMS"\nclass_name = "Room"\n',
  'src/index.ts': "import page from './index.html'\nexport class Room {}\nexport default { fetch(): Response { return new Response(page) } }\n",
  'src/index.html': '<h1>chat</h1>\n',
})

/** Runs a command in-process with captured output. */
async function run(command: typeof runDeployCommand, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await command(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } })
  return { code, stdout, stderr }
}

describe('wedge deploy and wedge rollback', () => {
  let server: AdminServer
  let controller: StoreController
  before(async () => {
    controller = new StoreController(join(root, 'data'), ['chat'])
    server = new AdminServer({ listen: { host: '127.0.0.1', port: 0 }, context: appsOnlyContext(controller) })
    await server.listen()
  })
  after(() => server.close())

  it('bundles the app directory, uploads it and prints the new version', async () => {
    const result = await run(runDeployCommand, [CHAT, '--site', 'chat', '--admin', server.url])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^deployed site chat: version 1 \(bundle \d+B, 1 module 14B, Durable Objects: Room\)\n$/)
    assert.equal(result.stderr, '')
    const stored = await controller.store.load('chat', 1)
    assert.deepEqual(stored.modules, { 'src/index.html': { type: 'text', value: '<h1>chat</h1>\n' } })
    assert.deepEqual(stored.durableObjects, [{ binding: 'ROOMS', className: 'Room' }])
    assert.equal(await controller.store.current('chat'), 1)
  })

  it('accepts the admin address as host:port and rolls back with wedge rollback', async () => {
    const address = `127.0.0.1:${server.address().port}`
    assert.equal((await run(runDeployCommand, [CHAT, '-s', 'chat', '--admin', address])).code, 0)
    const rolled = await run(runRollbackCommand, ['--site', 'chat', '--admin', address])
    assert.equal(rolled.code, 0, rolled.stderr)
    assert.equal(rolled.stdout, 'site chat is now running version 1\n')
    const forward = await run(runRollbackCommand, ['--site', 'chat', '--admin', address, '--version', '2'])
    assert.equal(forward.stdout, 'site chat is now running version 2\n')
  })

  it('prints build errors with file and line, exits 1 and uploads nothing', async () => {
    const broken = writeFiles(join(root, 'broken'), { 'index.ts': "import fs from 'node:fs'\nexport default { fetch() { return new Response(fs.readFileSync('x')) } }\n" })
    const before = (await controller.store.list('chat')).length
    const result = await run(runDeployCommand, [broken, '--site', 'chat', '--admin', server.url])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /broken\/index\.ts:1:16: Node\.js built-in "node:fs" cannot be imported/)
    assert.match(result.stderr, /wedge deploy: build failed, nothing was deployed\n$/)
    assert.equal((await controller.store.list('chat')).length, before)
  })

  it('exits 1 with the admin API\'s message when the site is unknown or the edge cannot be reached', async () => {
    const unknown = await run(runDeployCommand, [CHAT, '--site', 'nope', '--admin', server.url])
    assert.equal(unknown.code, 1)
    assert.equal(unknown.stderr, 'wedge deploy: site "nope": no app site has this name (HTTP 404 WEDGE_ADMIN_UNKNOWN_SITE)\n')
    const closed = await run(runRollbackCommand, ['--site', 'chat', '--admin', 'http://127.0.0.1:1'])
    assert.equal(closed.code, 1)
    assert.match(closed.stderr, /^wedge rollback: cannot reach the admin API at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/)
  })

  it('takes the admin address from --config', async () => {
    const config = join(root, 'wedge.yaml')
    writeFileSync(config, `admin: { listen: "127.0.0.1:${server.address().port}" }\nsites:\n  - { name: chat, hosts: [chat], builtin: echo }\n`)
    const result = await run(runDeployCommand, [CHAT, '--site', 'chat', '--config', config])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^deployed site chat: version \d+ /)
    const missing = await run(runDeployCommand, [CHAT, '--site', 'other', '--config', config])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /has no site named "other"/)
  })

  it('builds the site\'s app from --config when no DIR is given, with the config\'s vars over wrangler\'s', async () => {
    const config = join(root, 'app-site.yaml')
    writeFileSync(config, [
      `admin: { listen: "127.0.0.1:${server.address().port}" }`,
      'sites:',
      '  - name: chat',
      '    hosts: [chat]',
      '    app: { wrangler: chat/wrangler.toml, vars: { FROM: config } }',
      '',
    ].join('\n'))
    const result = await run(runDeployCommand, ['--site', 'chat', '--config', config])
    assert.equal(result.code, 0, result.stderr)
    const version = Number(/version (\d+)/.exec(result.stdout)?.[1])
    const stored = await controller.store.load('chat', version)
    assert.deepEqual(stored.vars, { FROM: 'config' })
    assert.deepEqual(stored.durableObjects, [{ binding: 'ROOMS', className: 'Room' }])
  })

  it('builds without uploading with --dry-run, and warns about unsupported wrangler keys on stderr', async () => {
    const app = writeFiles(join(root, 'kv'), { 'wrangler.json': '{ "main": "index.js", "kv_namespaces": [] }', 'index.js': 'export default {}\n' })
    const result = await run(runDeployCommand, [app, '--dry-run'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^built bundle \d+B; not uploaded \(--dry-run\)\n$/)
    assert.match(result.stderr, /^warning: .*wrangler\.json:1:\d+: kv_namespaces ignored: Wedge does not provide KV bindings\n$/)
  })

  it('exits 2 for usage errors without contacting the edge', async () => {
    const noSite = await run(runDeployCommand, [CHAT, '--admin', server.url])
    assert.equal(noSite.code, 2)
    assert.equal(noSite.stderr, 'wedge: deploy needs --site NAME\nRun "wedge help deploy" for usage.\n')
    const typo = await run(runDeployCommand, [CHAT, '--site', 'chat', '--admmin', server.url])
    assert.equal(typo.code, 2)
    assert.match(typo.stderr, /unknown option --admmin \(did you mean --admin\?\)/)
    assert.equal((await run(runDeployCommand, [CHAT, CHAT, '--site', 'chat'])).code, 2)
    assert.match((await run(runDeployCommand, [CHAT, '--site', 'chat'])).stderr, /needs --admin URL/)
    assert.match((await run(runDeployCommand, [join(root, 'empty-dir-that-is-missing'), '--site', 'chat', '--admin', server.url])).stderr, /has no wrangler\.json, .*index\.js \(give --main FILE\)/)
    assert.match((await run(runRollbackCommand, ['--site', 'chat', '--admin', server.url, '--version', 'x'])).stderr, /--version expects a version number, got "x"/)
    assert.match((await run(runRollbackCommand, ['--site', 'chat', '--admin', 'ftp://x'])).stderr, /expected the admin URL/)
  })

  it('prints help with the DIR argument and exits 0', async () => {
    const result = await run(runDeployCommand, ['--help'])
    assert.equal(result.code, 0)
    assert.match(result.stdout, /^Usage: wedge deploy \[DIR\] \[--site NAME\] \[--admin URL\]/)
    assert.match(result.stdout, /--dry-run/)
    assert.match((await run(runRollbackCommand, ['-h'])).stdout, /^Usage: wedge rollback --site NAME \[--admin URL\]/)
    assert.equal((await run(runRollbackCommand, ['--admin', server.url])).stderr, 'wedge: rollback needs --site NAME\nRun "wedge help rollback" for usage.\n')
  })

  it('sends the token from --token to an edge that requires one', async () => {
    const guarded = new AdminServer({ listen: { host: '127.0.0.1', port: 0 }, context: appsOnlyContext(controller), tokens: [{ token: 's3cret-deploy-token', role: 'admin' }] })
    await guarded.listen()
    try {
      const without = await run(runDeployCommand, [CHAT, '--site', 'chat', '--admin', guarded.url])
      assert.equal(without.code, 1)
      assert.match(without.stderr, /A valid bearer token is required \(HTTP 401 WEDGE_ADMIN_UNAUTHORIZED\)/)
      const withToken = await run(runDeployCommand, [CHAT, '--site', 'chat', '--admin', guarded.url, '--token', 's3cret-deploy-token'])
      assert.equal(withToken.code, 0, withToken.stderr)
    } finally {
      await guarded.close()
    }
  })
})
