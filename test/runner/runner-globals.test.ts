import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { RunnerDriver, manifest, request, text } from './runner-driver.js'
import type { RpcCall } from '../../src/runtime/runner-protocol.js'

const CODE = `
import { DurableObject } from 'cloudflare:workers'
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('')
const tests = {
  url() {
    const url = new URL('/a b/c?x=1&y=%C3%A9#frag', 'https://Example.COM:443')
    url.searchParams.append('z', 'a b&c')
    const params = new URLSearchParams({ q: 'dé jà', n: '1' })
    params.sort()
    let invalid = ''
    try { new URL('not a url') } catch (e) { invalid = e.constructor.name }
    const u2 = new URL('https://h.test/p')
    u2.pathname = '/q'
    u2.hash = 'h'
    return [url.href, url.host, url.pathname, url.searchParams.get('y'), url.origin, params.toString(), invalid, u2.href, URL.canParse('x:/y'), [...new URLSearchParams('a=1&a=2&b').getAll('a')]]
  },
  encoding() {
    const bytes = new TextEncoder().encode('héllo 👋')
    const decoder = new TextDecoder()
    const split = decoder.decode(bytes.subarray(0, 8), { stream: true }) + decoder.decode(bytes.subarray(8))
    let fatal = ''
    try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])) } catch (e) { fatal = e.constructor.name }
    let badAtob = ''
    try { atob('***') } catch (e) { badAtob = e.name }
    return [bytes.length, new TextDecoder().decode(bytes), split, fatal, btoa('hello'), atob('aGVsbG8='), badAtob, new TextDecoder().decode(new Uint8Array([0xff]))]
  },
  async crypto() {
    const digest = hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc')))
    const sha1 = hex(await crypto.subtle.digest({ name: 'SHA-1' }, new TextEncoder().encode('abc')))
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('key'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    const data = new TextEncoder().encode('The quick brown fox jumps over the lazy dog')
    const signature = await crypto.subtle.sign('HMAC', key, data)
    const good = await crypto.subtle.verify('HMAC', key, signature, data)
    const bad = await crypto.subtle.verify('HMAC', key, new Uint8Array(32), data)
    const random = crypto.getRandomValues(new Uint8Array(32))
    let quota = ''
    try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { quota = e.name }
    return [digest, sha1, hex(signature), good, bad, random.some((b) => b !== 0), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()), quota]
  },
  clone() {
    const source = { when: new Date(7), map: new Map([['k', new Uint8Array([1, 2])]]), set: new Set([1]) }
    const copy = structuredClone(source)
    copy.map.get('k')[0] = 9
    let error = ''
    try { structuredClone({ f() {} }) } catch (e) { error = e.name }
    return [copy.when.getTime(), source.map.get('k')[0], copy.set.has(1), copy !== source, error]
  },
  timers() {
    let ticks = 0
    const interval = setInterval(() => { ticks++; if (ticks === 3) { clearInterval(interval); console.log('interval done') } }, 5)
    const cancelled = setTimeout(() => console.log('must not run'), 10)
    clearTimeout(cancelled)
    setTimeout((a, b) => console.log('timeout', a + b), 20, 1, 2)
    return 'armed'
  },
  console() {
    console.log('a %s %d', 'x', 5, { k: [1, 2] })
    console.error(new Error('shown'))
    console.warn('warned', null, undefined, 1n)
    return 'logged'
  },
  async fetch() {
    const response = await fetch('https://api.example/data?x=1', { method: 'POST', headers: { 'x-k': 'v' }, body: 'payload' })
    let refused = ''
    try { await fetch('https://evil.example/') } catch (e) { refused = e.constructor.name + ': ' + e.message }
    return [response.status, await response.text(), response.headers.get('x-from'), response.url, refused]
  },
  response() {
    const r = new Response('body', { status: 418, headers: [['a', '1']] })
    const j = Response.json({ ok: 1 }, { status: 202 })
    let invalid = ''
    try { new Response('x', { status: 99 }) } catch (e) { invalid = e.constructor.name }
    let nullBody = ''
    try { new Response('x', { status: 204 }) } catch (e) { nullBody = e.constructor.name }
    const h = new Headers({ B: '2', a: '1' })
    h.append('a', '3')
    return [r.status, r.ok, r.headers.get('A'), j.headers.get('content-type'), j.status, invalid, nullBody, [...h], new Request('https://x.test/p', { method: 'post' }).method]
  },
}
export class Obj extends DurableObject {
  fetch() { console.info('from object'); return new Response('ok') }
}
export default {
  async fetch(request) {
    const name = new URL(request.url).pathname.slice(1)
    return Response.json(await tests[name]())
  },
}
`

const app = { appId: 'globals', version: 1 }

describe('runner: web platform inside the isolate', () => {
  let runner: RunnerDriver
  const fetches: Extract<RpcCall, { op: 'fetch' }>[] = []
  async function run(name: string): Promise<unknown> {
    const done = await runner.fetch(app, request(`https://g.test/${name}`))
    assert.equal(done.error, undefined)
    return JSON.parse(text(done.response))
  }

  before(async () => {
    runner = new RunnerDriver()
    runner.onFetch = (call) => {
      fetches.push(call)
      if (!call.request.url.startsWith('https://api.example/')) return new Error('host evil.example is not in fetch_allow')
      return { status: 200, headers: [['x-from', 'origin']], body: new TextEncoder().encode(`got ${call.request.method}`) }
    }
    assert.equal((await runner.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'OBJ', className: 'Obj' }] }))).type, 'loaded')
  })
  after(() => runner.close())

  test('URL and URLSearchParams follow the WHATWG URL standard', async () => {
    assert.deepEqual(await run('url'), [
      'https://example.com/a%20b/c?x=1&y=%C3%A9&z=a+b%26c#frag', 'example.com', '/a%20b/c', 'é', 'https://example.com',
      'n=1&q=d%C3%A9+j%C3%A0', 'TypeError', 'https://h.test/q#h', true, ['1', '2'],
    ])
  })

  test('TextEncoder/TextDecoder are UTF-8 (streaming, fatal, replacement); atob/btoa', async () => {
    assert.deepEqual(await run('encoding'), [11, 'héllo 👋', 'héllo 👋', 'TypeError', 'aGVsbG8=', 'hello', 'InvalidCharacterError', '\ufffd'])
  })

  test('crypto: digest, HMAC sign/verify, random values and UUIDs', async () => {
    const hmac = createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('hex')
    assert.deepEqual(await run('crypto'), [
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'a9993e364706816aba3e25717850c26c9cd0d89d',
      hmac, true, false, true, true, 'QuotaExceededError',
    ])
  })

  test('structuredClone deep-copies Map, Date, Set and typed arrays; functions are a DataCloneError', async () => {
    assert.deepEqual(await run('clone'), [7, 1, true, true, 'DataCloneError'])
  })

  test('setTimeout/setInterval fire later through host timers; cleared timers never run', async () => {
    assert.equal(await run('timers'), 'armed')
    await runner.waitFor((e) => e.type === 'log' && e.message === 'interval done', 3000)
    await runner.waitFor((e) => e.type === 'log' && e.message === 'timeout 3', 3000)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(!runner.received.some((e) => e.type === 'log' && e.message === 'must not run'))
  })

  test('console.* becomes log entries with levels, formatted like util.format, tagged with the object', async () => {
    assert.equal(await run('console'), 'logged')
    const logs = runner.received.filter((e) => e.type === 'log')
    assert.ok(logs.some((e) => e.type === 'log' && e.level === 'info' && e.message === 'a x 5 { k: [ 1, 2 ] }' && e.object === undefined))
    assert.ok(logs.some((e) => e.type === 'log' && e.level === 'error' && e.message.startsWith('Error: shown')))
    assert.ok(logs.some((e) => e.type === 'log' && e.level === 'warn' && e.message === 'warned null undefined 1n'))
    const object = { className: 'Obj', objectId: 'e'.repeat(64) }
    await runner.fetch(app, request('https://g.test/'), object)
    const tagged = await runner.waitFor((e) => e.type === 'log' && e.message === 'from object')
    assert.deepEqual(tagged.type === 'log' && tagged.object, object)
  })

  test('fetch() goes out as an rpc the gateway answers or refuses', async () => {
    assert.deepEqual(await run('fetch'), [200, 'got POST', 'origin', 'https://api.example/data?x=1', 'TypeError: fetch failed: host evil.example is not in fetch_allow'])
    const call = fetches[0]!
    assert.equal(call.appId, 'globals')
    assert.equal(call.request.method, 'POST')
    assert.deepEqual(call.request.headers, [['x-k', 'v'], ['content-type', 'text/plain;charset=UTF-8']])
    assert.equal(Buffer.from(call.request.body!).toString(), 'payload')
    assert.equal(call.request.upgradeSocketId, undefined)
  })

  test('Request, Response and Headers validate and normalize like the Fetch standard', async () => {
    assert.deepEqual(await run('response'), [418, false, '1', 'application/json', 202, 'RangeError', 'TypeError', [['a', '1, 3'], ['b', '2']], 'POST'])
  })
})
