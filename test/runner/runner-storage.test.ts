import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { deserialize, serialize } from 'node:v8'
import { RunnerDriver, manifest, request, text } from './runner-driver.js'
import type { ObjectAddress } from '../../src/runtime/runner-protocol.js'

/** Each request runs `/op` with a JSON body of arguments; the answer is JSON (Maps as entry lists). */
const CODE = `
import { DurableObject } from 'cloudflare:workers'
const plain = (value) => value instanceof Map ? { map: [...value] } : value
export class Store extends DurableObject {
  async fetch(request) {
    const op = new URL(request.url).pathname.slice(1)
    const args = request.method === 'POST' ? await request.json() : {}
    const s = this.ctx.storage
    switch (op) {
      case 'put-one': await s.put(args.key, args.value); return Response.json(true)
      case 'put-many': await s.put(args.entries); return Response.json(true)
      case 'get-one': return Response.json(await s.get(args.key) ?? null)
      case 'get-many': return Response.json(plain(await s.get(args.keys)))
      case 'delete-one': return Response.json(await s.delete(args.key))
      case 'delete-many': return Response.json(await s.delete(args.keys))
      case 'delete-all': await s.deleteAll(); return Response.json(true)
      case 'list': return Response.json(plain(await s.list(args)))
      case 'rich': {
        await s.put('rich', { when: new Date(5), tags: new Set(['a']), map: new Map([[1, 'x']]), bytes: new Uint8Array([7, 8]), big: 10n })
        const v = await s.get('rich')
        return Response.json([v.when instanceof Date && v.when.getTime(), v.tags.has('a'), v.map.get(1), [...v.bytes], String(v.big)])
      }
      case 'read-own-writes': {
        await s.put('rw', 1)
        const first = await s.get('rw')
        await s.delete('rw')
        const second = await s.get('rw')
        await s.put('rw2', 2)
        const listed = await s.list({ prefix: 'rw' })
        return Response.json([first, second ?? null, [...listed.keys()]])
      }
      case 'throw-after-put': await s.put('doomed', 1); throw new Error('handler failed after put')
      case 'txn-rollback': {
        await s.put('kept', 'yes')
        await s.transaction(async (txn) => { await txn.put('txn', 1); txn.rollback() })
        try { await s.transaction(async (txn) => { await txn.put('txn2', 1); throw new Error('no') }) } catch {}
        return Response.json([await s.get('txn') ?? null, await s.get('txn2') ?? null, await s.get('kept')])
      }
      case 'bad-value': try { await s.put('fn', () => 1); return Response.json('stored') } catch (e) { return Response.json(e.name + ': ' + e.message) }
      case 'bad-key': try { await s.put(5, 1); return Response.json('stored') } catch (e) { return Response.json(e.name) }
      case 'alarm-set': await s.setAlarm(args.time); return Response.json(await s.getAlarm())
      case 'alarm-get': return Response.json(await s.getAlarm())
      case 'alarm-delete': await s.deleteAlarm(); return Response.json(await s.getAlarm())
      case 'ids': {
        const ns = this.env.STORE
        const a = ns.idFromName('alpha')
        const u = ns.newUniqueId()
        let invalid = ''
        try { ns.idFromString('xyz') } catch (e) { invalid = e.message }
        return Response.json({
          alpha: a.toString(), name: a.name, same: a.equals(ns.idFromName('alpha')), other: a.equals(ns.idFromName('beta')),
          unique: u.toString(), roundTrip: ns.idFromString(a.toString().toUpperCase()).equals(a), invalid, self: this.ctx.id.toString(), selfName: this.ctx.id.name ?? null,
        })
      }
    }
    return new Response('unknown op ' + op, { status: 400 })
  }
  async alarm(info) {
    await this.ctx.storage.put('alarm-ran', info.retryCount)
    if (info.retryCount === 0) await this.ctx.storage.setAlarm(Date.now() + 60000)
  }
}
export default { fetch() { return new Response('') } }
`

const app = { appId: 'store', version: 1 }
const idFor = (name: string): string => createHmac('sha256', 'store/Store').update(name).digest('hex')

describe('runner: Durable Object storage', () => {
  let runner: RunnerDriver
  let object: ObjectAddress

  async function call(op: string, args: unknown = {}, target = object): Promise<{ value: unknown; error?: string; writes?: unknown; deleteAll?: boolean; alarm?: number | null }> {
    const done = await runner.fetch(app, request(`https://store.test/${op}`, { method: 'POST', body: new TextEncoder().encode(JSON.stringify(args)) }), target)
    return { value: done.response ? JSON.parse(text(done.response)) : undefined, error: done.error, writes: done.writes, deleteAll: done.deleteAll, alarm: done.alarm }
  }
  const committed = (key: string): unknown => {
    const bytes = runner.storage.get(runner.objectKey(app.appId, object))?.get(key)
    return bytes === undefined ? undefined : deserialize(bytes)
  }

  before(async () => {
    runner = new RunnerDriver()
    assert.equal((await runner.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'STORE', className: 'Store' }] }))).type, 'loaded')
    object = { className: 'Store', objectId: idFor('main'), name: 'main' }
  })
  after(() => runner.close())

  test('put/get of one key: the write leaves in event-done, V8-serialized', async () => {
    const put = await call('put-one', { key: 'a', value: { n: 1 } })
    assert.deepEqual(put.writes, [{ key: 'a', value: new Uint8Array(serialize({ n: 1 })) }])
    assert.deepEqual(committed('a'), { n: 1 })
    assert.deepEqual((await call('get-one', { key: 'a' })).value, { n: 1 })
    assert.equal((await call('get-one', { key: 'missing' })).value, null)
  })

  test('the array and object forms of get, put and delete', async () => {
    await call('put-many', { entries: { b: 2, c: 3, d: 4 } })
    assert.deepEqual((await call('get-many', { keys: ['d', 'missing', 'b'] })).value, { map: [['b', 2], ['d', 4]] })
    assert.equal((await call('delete-one', { key: 'b' })).value, true)
    assert.equal((await call('delete-one', { key: 'b' })).value, false)
    assert.equal((await call('delete-many', { keys: ['c', 'd', 'nope'] })).value, 2)
    assert.equal(committed('c'), undefined)
  })

  test('values keep their types: Date, Set, Map, typed arrays, BigInt', async () => {
    assert.deepEqual((await call('rich')).value, [5, true, 'x', [7, 8], '10'])
  })

  test('list() honours prefix, start, startAfter, end, limit and reverse in UTF-8 key order', async () => {
    await call('delete-all')
    const keys = ['k1', 'k2', 'k3', 'k4', 'other', '\uffff', '\u{10000}']
    await call('put-many', { entries: Object.fromEntries(keys.map((k, i) => [k, i])) })
    const list = async (options: object): Promise<string[]> => ((await call('list', options)).value as { map: [string, number][] }).map.map(([k]) => k)
    assert.deepEqual(await list({}), ['k1', 'k2', 'k3', 'k4', 'other', '\uffff', '\u{10000}'])
    assert.deepEqual(await list({ prefix: 'k' }), ['k1', 'k2', 'k3', 'k4'])
    assert.deepEqual(await list({ start: 'k2', end: 'k4' }), ['k2', 'k3'])
    assert.deepEqual(await list({ startAfter: 'k2', limit: 1 }), ['k3'])
    assert.deepEqual(await list({ prefix: 'k', reverse: true, limit: 2 }), ['k4', 'k3'])
  })

  test('reads see the event own writes and deletes before they are committed', async () => {
    const result = await call('read-own-writes')
    assert.deepEqual(result.value, [1, null, ['rw2']])
    assert.deepEqual(result.writes, [{ key: 'rw', value: null }, { key: 'rw2', value: new Uint8Array(serialize(2)) }])
  })

  test('a handler that throws after put() sends no writes', async () => {
    const result = await call('throw-after-put')
    assert.match(result.error ?? '', /handler failed after put/)
    assert.equal(result.writes, undefined)
    assert.equal(committed('doomed'), undefined)
    assert.equal((await call('get-one', { key: 'doomed' })).value, null)
  })

  test('transaction() rolls back on rollback() and on throw, keeping the other writes of the event', async () => {
    const result = await call('txn-rollback')
    assert.deepEqual(result.value, [null, null, 'yes'])
    assert.deepEqual(result.writes, [{ key: 'kept', value: new Uint8Array(serialize('yes')) }])
  })

  test('deleteAll() leaves as one flag and hides every committed key', async () => {
    const result = await call('delete-all')
    assert.equal(result.deleteAll, true)
    assert.equal((await call('get-one', { key: 'k1' })).value, null)
  })

  test('values that cannot be cloned and non-string keys are refused', async () => {
    assert.match(String((await call('bad-value')).value), /could not be cloned/)
    assert.equal((await call('bad-key')).value, 'TypeError')
  })

  test('setAlarm/getAlarm/deleteAlarm: the alarm change leaves in event-done', async () => {
    const set = await call('alarm-set', { time: 1_900_000_000_000 })
    assert.equal(set.value, 1_900_000_000_000)
    assert.equal(set.alarm, 1_900_000_000_000)
    assert.equal((await call('alarm-get')).value, 1_900_000_000_000)
    const deleted = await call('alarm-delete')
    assert.equal(deleted.value, null)
    assert.equal(deleted.alarm, null)
  })

  test('an alarm event runs alarm() with retryCount and commits what it wrote', async () => {
    const other: ObjectAddress = { className: 'Store', objectId: idFor('alarmed') }
    const done = await runner.event({ type: 'alarm', ...app, object: other, retryCount: 0 })
    assert.equal(done.error, undefined)
    assert.equal(typeof done.alarm, 'number')
    assert.deepEqual(done.writes, [{ key: 'alarm-ran', value: new Uint8Array(serialize(0)) }])
    const retry = await runner.event({ type: 'alarm', ...app, object: other, retryCount: 2 })
    assert.equal(retry.alarm, undefined)
  })

  test('idFromName is HMAC-SHA256(appId/className, name); ids validate and compare', async () => {
    const ids = (await call('ids')).value as Record<string, unknown>
    assert.equal(ids.alpha, idFor('alpha'))
    assert.equal(ids.name, 'alpha')
    assert.equal(ids.same, true)
    assert.equal(ids.other, false)
    assert.match(String(ids.unique), /^[0-9a-f]{64}$/)
    assert.equal(ids.roundTrip, true)
    assert.match(String(ids.invalid), /64 hex/)
    assert.equal(ids.self, object.objectId)
    assert.equal(ids.selfName, 'main')
  })

  test('idFromName gives the same id in a new runner process', async () => {
    const second = new RunnerDriver()
    try {
      assert.equal((await second.load(manifest(CODE, { ...app, durableObjects: [{ binding: 'STORE', className: 'Store' }] }))).type, 'loaded')
      const done = await second.fetch(app, request('https://store.test/ids'), object)
      assert.equal(JSON.parse(text(done.response)).alpha, idFor('alpha'))
    } finally {
      await second.close()
    }
  })
})
