import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pino from 'pino'
import { Writable } from 'node:stream'
import { request } from 'undici'
import { AdminServer } from '../../src/admin/admin-server.js'
import { encodeUpload } from '../../src/admin/upload-format.js'
import { appsOnlyContext } from './apps-only-context.js'
import { StoreController } from './store-controller.js'

const ADMIN = 'admin-token-0123456789abcdef'
const READ = 'read-token-0123456789abcdef'

const dataRoot = mkdtempSync(join(tmpdir(), 'wedge-admin-auth-'))
after(() => rmSync(dataRoot, { recursive: true, force: true }))

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any }

async function call(server: AdminServer, method: string, path: string, headers: Record<string, string> = {}, json?: unknown): Promise<Answer> {
  const response = await request(`${server.url}${path}`, {
    method: method as 'GET',
    headers: { ...(json !== undefined && { 'content-type': 'application/json' }), ...headers },
    body: json === undefined ? null : JSON.stringify(json),
  })
  const text = await response.body.text()
  const isJson = String(response.headers['content-type']).startsWith('application/json')
  return { status: response.statusCode, headers: response.headers, text, body: isJson ? JSON.parse(text) : undefined }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const BUILD = encodeUpload({ code: 'export default { fetch() { return new Response("x") } }\n', modules: {}, durableObjects: [], vars: {} })

/** Every protected route with a method that reaches it. */
const PROTECTED: [string, string][] = [
  ['GET', '/api/apps'],
  ['GET', '/api/apps/chat/versions'],
  ['POST', '/api/apps/chat/deploy'],
  ['POST', '/api/apps/chat/rollback'],
  ['GET', '/metrics'],
  ['GET', '/api/live'],
  ['GET', '/api/usage'],
  ['GET', '/api/sites'],
  ['GET', '/api/connections'],
  ['DELETE', '/api/connections/abc?code=1000'],
  // No route: without a token even that is not revealed.
  ['GET', '/api/no-such-route'],
]

describe('admin API with an admin and a read-only token', () => {
  let server: AdminServer
  let controller: StoreController
  before(async () => {
    controller = new StoreController(join(dataRoot, 'tokens'), ['chat'])
    server = new AdminServer({ listen: { host: '127.0.0.1', port: 0 }, context: appsOnlyContext(controller), tokens: [{ token: ADMIN, role: 'admin' }, { token: READ, role: 'read' }] })
    await server.listen()
  })
  after(() => server.close())

  it('answers 401 with the same body, naming nothing, without a token and with a wrong one', async () => {
    const expected = { error: { code: 'WEDGE_ADMIN_UNAUTHORIZED', message: 'A valid bearer token is required' } }
    const wrongs = [{}, bearer(`${ADMIN}x`), bearer(ADMIN.slice(0, -1)), bearer(READ.toUpperCase()), { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` }, { authorization: 'Bearer' }]
    for (const [method, path] of PROTECTED) {
      for (const headers of wrongs) {
        const answer = await call(server, method, path, headers)
        assert.equal(answer.status, 401, `${method} ${path} ${JSON.stringify(headers)}`)
        assert.deepEqual(answer.body, expected)
        assert.ok(!answer.text.includes('token-0123'), 'no token in the body')
        assert.match(String(answer.headers['www-authenticate']), /^Bearer realm="wedge-admin"/)
      }
    }
    // RFC 6750 §3.1: the error code only when a token was given.
    assert.equal((await call(server, 'GET', '/api/apps')).headers['www-authenticate'], 'Bearer realm="wedge-admin"')
    assert.equal((await call(server, 'GET', '/api/apps', bearer('nope-nope-nope-nope'))).headers['www-authenticate'], 'Bearer realm="wedge-admin", error="invalid_token"')
  })

  it('lets a read-only token read and answers 403 to every write, changing nothing', async () => {
    for (const path of ['/api/apps', '/api/apps/chat/versions', '/metrics', '/api/live', '/api/usage', '/api/sites', '/api/connections']) {
      assert.equal((await call(server, 'GET', path, bearer(READ))).status, 200, path)
    }
    const writes: [string, string, unknown?][] = [
      ['POST', '/api/apps/chat/deploy', BUILD],
      ['POST', '/api/apps/chat/rollback'],
      ['DELETE', '/api/connections/abc?code=4000&reason=bye'],
    ]
    for (const [method, path, json] of writes) {
      const answer = await call(server, method, path, bearer(READ), json)
      assert.equal(answer.status, 403, `${method} ${path}`)
      assert.equal(answer.body.error.code, 'WEDGE_ADMIN_FORBIDDEN')
      assert.match(answer.body.error.message, /needs a token with role "admin"/)
    }
    assert.deepEqual(await controller.store.list('chat'), [], 'the refused deploy stored nothing')
  })

  it('lets the admin token write; the Bearer scheme is case-insensitive', async () => {
    const deployed = await call(server, 'POST', '/api/apps/chat/deploy', { authorization: `bearer ${ADMIN}` }, BUILD)
    assert.equal(deployed.status, 200, deployed.text)
    assert.deepEqual(deployed.body, { site: 'chat', version: 1 })
    const unknown = await call(server, 'DELETE', '/api/connections/abc?code=4000', bearer(ADMIN))
    assert.equal(unknown.status, 404, 'past authentication, the connection is looked up')
    assert.equal(unknown.body.error.code, 'WEDGE_ADMIN_UNKNOWN_CONNECTION')
    assert.equal((await call(server, 'GET', '/api/no-such-route', bearer(READ))).status, 404)
  })

  it('leaves GET /api/health open', async () => {
    const health = await call(server, 'GET', '/api/health')
    assert.equal(health.status, 200)
    assert.equal(health.body.status, 'ok')
  })

  it('refuses writes a browser sends from another site, even with the admin token', async () => {
    const evil = await call(server, 'POST', '/api/apps/chat/rollback', { ...bearer(ADMIN), origin: 'https://evil.example' })
    assert.equal(evil.status, 403)
    assert.match(evil.body.error.message, /cross-site request refused/)
    assert.equal((await call(server, 'DELETE', '/api/connections/abc', { ...bearer(ADMIN), 'sec-fetch-site': 'cross-site' })).status, 403)
    assert.equal((await call(server, 'POST', '/api/apps/chat/rollback', { ...bearer(ADMIN), origin: 'null' })).status, 403)
    const own = await call(server, 'DELETE', '/api/connections/abc', { ...bearer(ADMIN), origin: server.url, 'sec-fetch-site': 'same-origin' })
    assert.equal(own.status, 404, 'the dashboard\'s own requests pass')
    const proxied = await call(server, 'DELETE', '/api/connections/abc', { ...bearer(ADMIN), origin: 'https://admin.example.com', 'x-forwarded-host': 'admin.example.com' })
    assert.equal(proxied.status, 404, 'behind a proxy that rewrites Host, the forwarded host counts')
  })
})

describe('admin API without tokens', () => {
  it('serves loopback clients without a token and warns at start that it has none', async () => {
    const lines: Record<string, unknown>[] = []
    const logger = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } }))
    const server = new AdminServer({ listen: { host: '127.0.0.1', port: 0 }, context: appsOnlyContext(new StoreController(join(dataRoot, 'open'), ['chat'])), logger })
    await server.listen()
    try {
      assert.ok(lines.some((line) => /admin API without tokens/.test(String(line.msg))), JSON.stringify(lines))
      assert.equal((await call(server, 'GET', '/api/apps')).status, 200)
      assert.equal((await call(server, 'DELETE', '/api/connections/abc')).status, 404)
      assert.equal((await call(server, 'GET', '/api/apps', { host: `localhost:${server.address().port}` })).status, 200)
      // DNS rebinding: a page whose name now resolves to 127.0.0.1 sends its own name as Host.
      const rebound = await call(server, 'GET', '/api/connections', { host: 'attacker.example:80' })
      assert.equal(rebound.status, 403)
      assert.match(rebound.body.error.message, /only answers requests addressed to a loopback name/)
    } finally {
      await server.close()
    }
  })

  it('refuses to be built on a non-loopback address, and says why', () => {
    const context = appsOnlyContext(new StoreController(join(dataRoot, 'unused'), []))
    assert.throws(() => new AdminServer({ listen: { host: '0.0.0.0', port: 9090 }, context }), /admin\.listen 0\.0\.0\.0:9090 is not a loopback address: .*needs admin\.tokens/)
    assert.throws(() => new AdminServer({ listen: { host: '::', port: 9090 }, context, tokens: [] }), /not a loopback address/)
    assert.throws(() => new AdminServer({ listen: { host: '10.1.2.3', port: 9090 }, context }), /not a loopback address/)
    assert.doesNotThrow(() => new AdminServer({ listen: { host: '0.0.0.0', port: 9090 }, context, tokens: [{ token: READ, role: 'read' }] }))
    assert.doesNotThrow(() => new AdminServer({ listen: { host: '::1', port: 9090 }, context }))
  })
})
