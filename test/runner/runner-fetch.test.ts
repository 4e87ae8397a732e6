import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RunnerDriver, manifest, request, text } from './runner-driver.js'

const WORKER = `
import page from './page.html'
import blob from './blob.bin'
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    if (url.pathname === '/echo') {
      return new Response(await request.text(), { status: 201, statusText: 'Made', headers: { 'x-method': request.method, 'x-ua': request.headers.get('user-agent') ?? '' } })
    }
    if (url.pathname === '/env') return Response.json({ name: env.NAME, token: env.TOKEN, keys: Object.keys(env).sort() })
    if (url.pathname === '/modules') return Response.json({ page, bytes: [...new Uint8Array(blob)] })
    if (url.pathname === '/throw') throw new Error('boom in fetch')
    if (url.pathname === '/not-a-response') return 'hello'
    if (url.pathname === '/redirect') return Response.redirect('https://example.com/next', 301)
    if (url.pathname === '/cookies') {
      const headers = new Headers()
      headers.append('set-cookie', 'a=1')
      headers.append('set-cookie', 'b=2')
      headers.set('X-Upper', 'v')
      return new Response(null, { status: 204, headers })
    }
    if (url.pathname === '/clone') {
      const copy = request.clone()
      return new Response((await request.text()) + '|' + (await copy.text()))
    }
    if (url.pathname === '/wait') {
      ctx.waitUntil(Promise.reject(new Error('late failure')))
      return new Response('ok')
    }
    return new Response('not found', { status: 404 })
  },
}
`

describe('runner: stateless worker fetch', () => {
  let runner: RunnerDriver
  const app = { appId: 'shop', version: 3 }

  before(async () => {
    runner = new RunnerDriver()
    const loaded = await runner.load(manifest(WORKER, {
      ...app,
      vars: { NAME: 'wedge' },
      secrets: { TOKEN: 's3cret' },
      modules: { './page.html': { type: 'text', value: '<h1>hi</h1>' }, './blob.bin': { type: 'data', value: new Uint8Array([1, 2, 255]) } },
    }))
    assert.equal(loaded.type, 'loaded')
  })
  after(() => runner.close())

  test('a request reaches default.fetch and its Response comes back whole', async () => {
    const done = await runner.fetch(app, request('https://shop.test/echo', { method: 'POST', headers: [['user-agent', 'test-agent']], body: new TextEncoder().encode('payload') }))
    assert.equal(done.error, undefined)
    assert.equal(done.response?.status, 201)
    assert.equal(done.response?.statusText, 'Made')
    assert.equal(text(done.response), 'payload')
    const headers = new Map(done.response!.headers)
    assert.equal(headers.get('x-method'), 'POST')
    assert.equal(headers.get('x-ua'), 'test-agent')
    assert.equal(headers.get('content-type'), 'text/plain;charset=UTF-8')
    assert.ok(done.cpuMs >= 0)
  })

  test('env carries vars, secrets and nothing else', async () => {
    const done = await runner.fetch(app, request('https://shop.test/env'))
    assert.deepEqual(JSON.parse(text(done.response)), { name: 'wedge', token: 's3cret', keys: ['NAME', 'TOKEN'] })
  })

  test('text and data modules are importable', async () => {
    const done = await runner.fetch(app, request('https://shop.test/modules'))
    assert.deepEqual(JSON.parse(text(done.response)), { page: '<h1>hi</h1>', bytes: [1, 2, 255] })
  })

  test('a throwing handler ends the event with its error', async () => {
    const done = await runner.fetch(app, request('https://shop.test/throw'))
    assert.equal(done.response, undefined)
    assert.match(done.error ?? '', /boom in fetch/)
  })

  test('a handler that returns something other than a Response is an error', async () => {
    const done = await runner.fetch(app, request('https://shop.test/not-a-response'))
    assert.match(done.error ?? '', /did not return a Response/)
  })

  test('Response.redirect, set-cookie lists and lower-cased header names cross as sent', async () => {
    const redirect = await runner.fetch(app, request('https://shop.test/redirect'))
    assert.equal(redirect.response?.status, 301)
    assert.deepEqual(redirect.response?.headers, [['location', 'https://example.com/next']])
    const cookies = await runner.fetch(app, request('https://shop.test/cookies'))
    assert.equal(cookies.response?.status, 204)
    assert.deepEqual(cookies.response?.headers, [['x-upper', 'v'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']])
  })

  test('request.clone() gives an independent body', async () => {
    const done = await runner.fetch(app, request('https://shop.test/clone', { method: 'PUT', body: new TextEncoder().encode('x') }))
    assert.equal(text(done.response), 'x|x')
  })

  test('a rejected waitUntil promise is logged, not fatal', async () => {
    const done = await runner.fetch(app, request('https://shop.test/wait'))
    assert.equal(text(done.response), 'ok')
    const log = await runner.waitFor((e) => e.type === 'log' && /late failure/.test(e.message))
    assert.equal(log.type === 'log' && log.level, 'error')
    assert.equal(log.type === 'log' && log.appId, 'shop')
  })

  test('an event for a version that is not loaded fails at once', async () => {
    const done = await runner.fetch({ appId: 'shop', version: 99 }, request('https://shop.test/'))
    assert.match(done.error ?? '', /not loaded/)
  })

  test('loading the same version twice answers loaded again', async () => {
    const again = await runner.load(manifest(WORKER, { ...app, modules: { './page.html': { type: 'text', value: '' }, './blob.bin': { type: 'data', value: new Uint8Array() } } }))
    assert.equal(again.type, 'loaded')
  })
})

describe('runner: loading apps', () => {
  let runner: RunnerDriver
  before(() => {
    runner = new RunnerDriver()
  })
  after(() => runner.close())

  test('a syntax error is a load-error with the message', async () => {
    const reply = await runner.load(manifest('export default {', { appId: 'broken' }))
    assert.equal(reply.type, 'load-error')
    assert.match(reply.type === 'load-error' ? reply.error : '', /SyntaxError|Unexpected/)
  })

  test('a bound Durable Object class that is not exported is a load-error', async () => {
    const reply = await runner.load(manifest('export default {}', { appId: 'noclass', durableObjects: [{ binding: 'ROOM', className: 'Room' }] }))
    assert.equal(reply.type, 'load-error')
    assert.match(reply.type === 'load-error' ? reply.error : '', /Room/)
  })

  test('importing a node: module is refused at load', async () => {
    const reply = await runner.load(manifest(`import fs from 'node:fs'\nexport default { fetch() { return new Response(String(fs)) } }`, { appId: 'nodefs' }))
    assert.equal(reply.type, 'load-error')
    assert.match(reply.type === 'load-error' ? reply.error : '', /node:fs/)
  })

  test('a top-level infinite loop is stopped and refused', async () => {
    const reply = await runner.load(manifest('for (;;) {}\nexport default {}', { appId: 'spin-at-load', limits: { cpuMs: 50, memoryMb: 32 } }))
    assert.equal(reply.type, 'load-error')
    assert.match(reply.type === 'load-error' ? reply.error : '', /timed out/i)
    await runner.ping()
  })

  test('a WorkerEntrypoint class as default export serves fetch with this.env', async () => {
    const code = `
      import { WorkerEntrypoint } from 'cloudflare:workers'
      export default class extends WorkerEntrypoint {
        fetch(request) { return new Response('entry ' + this.env.WHO) }
      }`
    const app = { appId: 'entry', version: 1 }
    assert.equal((await runner.load(manifest(code, { ...app, vars: { WHO: 'me' } }))).type, 'loaded')
    const done = await runner.fetch(app, request('https://e.test/'))
    assert.equal(text(done.response), 'entry me')
  })

  test('an app without a fetch handler answers fetch events with an error', async () => {
    const app = { appId: 'nofetch', version: 1 }
    assert.equal((await runner.load(manifest('export default {}', app))).type, 'loaded')
    const done = await runner.fetch(app, request('https://e.test/'))
    assert.match(done.error ?? '', /no fetch handler/)
  })

  test('unload ends the version: later events fail', async () => {
    const app = { appId: 'gone', version: 1 }
    assert.equal((await runner.load(manifest('export default { fetch() { return new Response("x") } }', app))).type, 'loaded')
    runner.send({ type: 'unload', ...app })
    const done = await runner.fetch(app, request('https://e.test/'))
    assert.match(done.error ?? '', /not loaded/)
  })
})
