import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RunnerDriver, manifest, request, text, type EventDone } from './runner-driver.js'
import type { ObjectAddress } from '../../src/runtime/runner-protocol.js'

const CODE = `
import { DurableObject } from 'cloudflare:workers'
export class Counter extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url)
    if (url.pathname === '/slow') {
      await fetch('https://slow.example/')
      return new Response('slow done')
    }
    const n = url.searchParams.get('n')
    const log = (await this.ctx.storage.get('log')) ?? []
    log.push('start ' + n)
    await this.ctx.storage.get('unrelated-' + n)
    log.push('end ' + n)
    await this.ctx.storage.put('log', log)
    return Response.json(log)
  }
  async webSocketMessage(ws, message) {
    ws.send('before ' + message)
    await this.ctx.storage.put('last', message)
    ws.send('after ' + message)
  }
}
export class Init extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env)
    this.ready = false
    ctx.blockConcurrencyWhile(async () => {
      await ctx.storage.get('config')
      await ctx.storage.get('more')
      this.ready = true
    })
  }
  fetch() { return new Response(String(this.ready)) }
}
export default { fetch() { return new Response('') } }
`

const app = { appId: 'order', version: 1 }
const object = (objectId: string): ObjectAddress => ({ className: 'Counter', objectId: objectId.repeat(64) })

describe('runner: event ordering and gates', () => {
  let runner: RunnerDriver
  before(async () => {
    runner = new RunnerDriver()
    runner.onFetch = () => null
    assert.equal((await runner.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'C', className: 'Counter' }, { binding: 'I', className: 'Init' }] }))).type, 'loaded')
  })
  after(() => runner.close())

  test('two events for one object never overlap, even when the first awaits storage reads', async () => {
    const target = object('a')
    const [first, second] = await Promise.all([
      runner.fetch(app, request('https://o.test/?n=1'), target),
      runner.fetch(app, request('https://o.test/?n=2'), target),
    ])
    assert.deepEqual(JSON.parse(text(first.response)), ['start 1', 'end 1'])
    assert.deepEqual(JSON.parse(text(second.response)), ['start 1', 'end 1', 'start 2', 'end 2'])
  })

  test('an object waiting on I/O holds its own next event but not other objects', async () => {
    const blocked = object('b')
    const free = object('c')
    const slow = runner.fetch(app, request('https://o.test/slow'), blocked, 60_000)
    slow.catch(() => {})
    const queued = runner.fetch(app, request('https://o.test/?n=1'), blocked, 60_000)
    queued.catch(() => {})
    let queuedDone = false
    void queued.then(() => { queuedDone = true }, () => {})
    const other = await runner.fetch(app, request('https://o.test/?n=9'), free)
    assert.deepEqual(JSON.parse(text(other.response)), ['start 9', 'end 9'])
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(queuedDone, false, 'the second event of the blocked object must wait for the first')
  })

  test('output gate: sends after an uncommitted write leave after the event-done, earlier sends before it', async () => {
    const target = object('d')
    const before = runner.received.length
    const done: EventDone = await runner.message(app, 'sock', 'm1', target)
    const entries = runner.received.slice(before)
    const at = (data: string): number => entries.findIndex((e) => e.type === 'ws-send' && e.data === data)
    const doneAt = entries.indexOf(done)
    assert.ok(at('before m1') >= 0 && at('before m1') < doneAt, 'a send with no pending write is not held')
    assert.ok(at('after m1') > doneAt, 'a send after put() waits for the event-done carrying the write')
    assert.equal(done.writes?.[0]?.key, 'last')
  })

  test('blockConcurrencyWhile in the constructor holds the first event until it settles', async () => {
    const done = await runner.fetch(app, request('https://o.test/'), { className: 'Init', objectId: 'f'.repeat(64) })
    assert.equal(text(done.response), 'true')
  })
})
