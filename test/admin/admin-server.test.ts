import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { Readable } from 'node:stream'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { request } from 'undici'
import { AdminServer } from '../../src/admin/admin-server.js'
import type { AdminToken } from '../../src/admin/bearer-auth.js'
import { encodeUpload } from '../../src/admin/upload-format.js'
import type { AppBuild } from '../../src/apps/bundle.js'
import { StoreController } from './store-controller.js'
import { appsOnlyContext } from './apps-only-context.js'

const dataRoot = mkdtempSync(join(tmpdir(), 'wedge-admin-'))
after(() => rmSync(dataRoot, { recursive: true, force: true }))

let serverCount = 0
async function startServer(options: { tokens?: AdminToken[]; maxBodyBytes?: number } = {}): Promise<{ server: AdminServer; controller: StoreController }> {
  const controller = new StoreController(join(dataRoot, `data-${++serverCount}`), ['chat', 'game'])
  const server = new AdminServer({ listen: { host: '127.0.0.1', port: 0 }, context: appsOnlyContext(controller), ...options })
  await server.listen()
  return { server, controller }
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: any }

async function call(server: AdminServer, method: 'GET' | 'POST' | 'PUT', path: string, options: { json?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json))
  const response = await request(`${server.url}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...options.headers },
    body: body ?? null,
  })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(text) }
}

const build = (label: string, extra: Partial<AppBuild> = {}): AppBuild => ({
  code: `export default { fetch() { return new Response(${JSON.stringify(label)}) } }\n`,
  modules: { 'logo.bin': { type: 'data', value: new Uint8Array([0, 1, 254, 255]) }, 'index.html': { type: 'text', value: '<p>hi</p>' } },
  durableObjects: [],
  vars: { LABEL: label },
  ...extra,
})

describe('admin API without tokens', () => {
  let server: AdminServer
  let controller: StoreController
  before(async () => ({ server, controller } = await startServer()))
  after(() => server.close())

  it('answers health and lists app sites before any deploy', async () => {
    const health = await call(server, 'GET', '/api/health')
    assert.equal(health.status, 200)
    assert.equal(health.body.status, 'ok')
    assert.match(String(health.headers['content-type']), /^application\/json/)
    assert.deepEqual((await call(server, 'GET', '/api/apps')).body, { apps: [{ site: 'chat', version: null, versions: [] }, { site: 'game', version: null, versions: [] }] })
  })

  it('deploys a build, stores its data modules byte for byte and makes it current', async () => {
    const first = await call(server, 'POST', '/api/apps/chat/deploy', { json: encodeUpload(build('one')) })
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.deepEqual(first.body, { site: 'chat', version: 1 })
    assert.deepEqual(await controller.store.load('chat', 1), build('one'))
    assert.deepEqual((await call(server, 'POST', '/api/apps/chat/deploy', { json: encodeUpload(build('two')) })).body, { site: 'chat', version: 2 })
    const versions = await call(server, 'GET', '/api/apps/chat/versions')
    assert.equal(versions.body.current, 2)
    assert.deepEqual(versions.body.versions.map((info: { version: number; current: boolean }) => [info.version, info.current]), [[2, true], [1, false]])
    assert.deepEqual((await call(server, 'GET', '/api/apps')).body.apps[0], { site: 'chat', version: 2, versions: [2, 1] })
  })

  it('rolls back to the previous version, to a given version, and answers 409 when there is none older', async () => {
    await call(server, 'POST', '/api/apps/game/deploy', { json: encodeUpload(build('g1')) })
    await call(server, 'POST', '/api/apps/game/deploy', { json: encodeUpload(build('g2')) })
    assert.deepEqual((await call(server, 'POST', '/api/apps/game/rollback')).body, { site: 'game', version: 1 })
    const none = await call(server, 'POST', '/api/apps/game/rollback')
    assert.equal(none.status, 409)
    assert.equal(none.body.error.code, 'WEDGE_ADMIN_NO_PREVIOUS_VERSION')
    assert.deepEqual((await call(server, 'POST', '/api/apps/game/rollback', { json: { version: 2 } })).body, { site: 'game', version: 2 })
    const unknown = await call(server, 'POST', '/api/apps/game/rollback', { json: { version: 7 } })
    assert.equal(unknown.status, 404)
    assert.deepEqual(unknown.body, { error: { code: 'WEDGE_ADMIN_UNKNOWN_VERSION', message: 'site "game" has no version 7' } })
  })

  it('refuses a build that fails to load with 422 and its message, keeping the current version', async () => {
    const before = await controller.store.current('chat')
    const refused = await call(server, 'POST', '/api/apps/chat/deploy', { json: encodeUpload(build('x', { code: 'export default {\n  fetch() {\n}}}\n' })) })
    assert.equal(refused.status, 422)
    assert.equal(refused.body.error.code, 'WEDGE_ADMIN_DEPLOY_REFUSED')
    assert.match(refused.body.error.message, /app failed to load: Unexpected "}" \(bundle\.js:3:2\)/)
    assert.equal(await controller.store.current('chat'), before)
  })

  it('answers 404 for an unknown site and an unknown route, 405 with Allow for a wrong method', async () => {
    const site = await call(server, 'POST', '/api/apps/nope/deploy', { json: encodeUpload(build('x')) })
    assert.equal(site.status, 404)
    assert.deepEqual(site.body, { error: { code: 'WEDGE_ADMIN_UNKNOWN_SITE', message: 'site "nope": no app site has this name' } })
    const versions = await call(server, 'GET', '/api/apps/nope/versions')
    assert.equal(versions.body.error.code, 'WEDGE_ADMIN_UNKNOWN_SITE')
    const route = await call(server, 'GET', '/api/nothing')
    assert.equal(route.status, 404)
    assert.equal(route.body.error.code, 'WEDGE_ADMIN_NOT_FOUND')
    const method = await call(server, 'PUT', '/api/apps/chat/deploy', { json: {} })
    assert.equal(method.status, 405)
    assert.equal(method.headers['allow'], 'POST')
  })

  it('answers 400 naming the problem for invalid JSON and for a body of the wrong shape', async () => {
    const json = await call(server, 'POST', '/api/apps/chat/deploy', { raw: '{"build": {' })
    assert.equal(json.status, 400)
    assert.equal(json.body.error.code, 'WEDGE_ADMIN_BAD_REQUEST')
    assert.match(json.body.error.message, /^invalid JSON body: /)
    const shape = await call(server, 'POST', '/api/apps/chat/deploy', { json: { build: { code: 'x', durableObjects: [{ binding: 'ROOMS', className: 'no-identifier' }] } } })
    assert.equal(shape.status, 400)
    assert.equal(shape.body.error.message, 'invalid deploy body: build.durableObjects[0].className: expected a JavaScript identifier')
    const base64 = await call(server, 'POST', '/api/apps/chat/deploy', { json: { build: { code: 'x', modules: { 'a.bin': { type: 'data', base64: 'not base64!' } } } } })
    assert.match(base64.body.error.message, /build\.modules\.a\.bin\.base64: expected base64 with padding/)
    const empty = await call(server, 'POST', '/api/apps/chat/deploy')
    assert.match(empty.body.error.message, /deploy needs a JSON body/)
    const media = await call(server, 'POST', '/api/apps/chat/deploy', { raw: 'x', headers: { 'content-type': 'text/plain' } })
    assert.equal(media.status, 415)
  })

  it('refuses a body declared larger than 64 MiB with 413 before it is sent', async () => {
    const socket = connect(server.address().port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.write(`POST /api/apps/chat/deploy HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024 + 1}\r\n\r\n{"build":`)
    await new Promise((resolve) => socket.once('close', resolve))
    const answer = Buffer.concat(chunks).toString()
    assert.match(answer, /^HTTP\/1\.1 413 /)
    assert.match(answer, /"code": "WEDGE_ADMIN_BODY_TOO_LARGE"/)
    assert.match(answer, /request body exceeds the 64MiB limit/)
  })
})

describe('admin API body limit while streaming', () => {
  let server: AdminServer
  before(async () => ({ server } = await startServer({ maxBodyBytes: 1024 })))
  after(() => server.close())

  it('answers 413 for a body that grows past the limit without Content-Length', async () => {
    // 8 MiB in 64 KiB chunks: far past the limit, so the server answers while the client still sends.
    const chunks = Readable.from((function* () {
      for (let index = 0; index < 128; index++) yield Buffer.alloc(65_536, 0x20)
    })())
    const response = await request(`${server.url}/api/apps/chat/deploy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks })
    const text = await response.body.text()
    assert.equal(response.statusCode, 413)
    assert.match(text, /request body exceeds the 1KiB limit/)
  })
})
