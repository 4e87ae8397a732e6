import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { AppStorage, ListOptions, ObjectAddress } from '../../src/storage/app-storage.js'
import { STORAGE_LIMITS, StorageError } from '../../src/storage/storage-limits.js'

/**
 * The behaviour every AppStorage backend must have (SQLite now, JetStream later), in the
 * style of hono's router/common.case.test.ts. `open` must return a new handle on the SAME
 * backing store on every call: the suite closes and reopens it to prove persistence, and each
 * test isolates itself with class names of its own.
 */
export function describeAppStorageContract(name: string, open: () => AppStorage): void {
  describe(`AppStorage contract: ${name}`, () => {
    let storage: AppStorage
    beforeEach(() => { storage = open() })
    afterEach(() => storage.close())

    describe('get, put and delete', () => {
      it('get returns only the keys that exist, in UTF-8 key order', () => {
        const object = newObject()
        putText(storage, object, { b: 'B', a: 'A', c: 'C' })
        const found = storage.get(object, ['c', 'missing', 'a'])
        assert.deepEqual([...found.keys()], ['a', 'c'])
        assert.equal(text(found.get('a')), 'A')
        assert.equal(storage.get(object, []).size, 0)
      })

      it('values come back byte for byte, including empty and binary values', () => {
        const object = newObject()
        const binary = Uint8Array.from([0, 255, 0, 1, 128])
        storage.commit(object, { writes: [{ key: 'binary', value: binary }, { key: 'empty', value: new Uint8Array(0) }] })
        const found = storage.get(object, ['binary', 'empty'])
        assert.deepEqual(Uint8Array.from(found.get('binary')!), binary)
        assert.equal(found.get('empty')?.byteLength, 0)
      })

      it('get of more keys than one query holds returns them all in key order', () => {
        const object = newObject()
        const keys = Array.from({ length: 250 }, (_, i) => `key-${String(i).padStart(3, '0')}`)
        storage.commit(object, { writes: keys.map((key) => ({ key, value: bytes(key) })) })
        const asked = [...keys, ...Array.from({ length: 10 }, (_, i) => `absent-${i}`)].sort(() => Math.random() - 0.5)
        const found = storage.get(object, asked)
        assert.deepEqual([...found.keys()], keys)
        assert.equal(text(found.get('key-249')), 'key-249')
      })

      it('a later write in one commit replaces an earlier one, and a null value deletes', () => {
        const object = newObject()
        storage.commit(object, { writes: [
          { key: 'k', value: bytes('1') }, { key: 'k', value: bytes('2') },
          { key: 'j', value: bytes('1') }, { key: 'j', value: null },
        ] })
        assert.deepEqual(entries(storage.list(object, {})), [['k', '2']])
      })

      it('put overwrites across commits and deleting a missing key does nothing', () => {
        const object = newObject()
        putText(storage, object, { k: 'old', other: 'x' })
        putText(storage, object, { k: 'new' })
        storage.commit(object, { writes: [{ key: 'never-written', value: null }] })
        assert.deepEqual(entries(storage.list(object, {})), [['k', 'new'], ['other', 'x']])
      })

      it('deleting many keys in one commit removes exactly those keys', () => {
        const object = newObject()
        putText(storage, object, { a: '1', b: '2', c: '3', d: '4' })
        storage.commit(object, { writes: ['a', 'c'].map((key) => ({ key, value: null })) })
        assert.deepEqual(listKeys(storage, object, {}), ['b', 'd'])
      })
    })

    describe('list', () => {
      // '`' sorts just before 'a'; 'a\0' just after 'a'.
      const keys = ['', '`', 'a', 'a\u0000', 'a/1', 'a/2', 'aa', 'ab', 'b', 'ba']
      let object: ObjectAddress
      beforeEach(() => {
        object = newObject()
        putText(storage, object, Object.fromEntries(keys.map((key) => [key, `v:${key}`])))
      })

      it('with no options returns every key in order with its value', () => {
        assert.deepEqual(listKeys(storage, object, {}), keys)
        assert.equal(text(storage.list(object, {}).get('a/1')), 'v:a/1')
      })

      it('prefix includes only keys that start with it', () => {
        assert.deepEqual(listKeys(storage, object, { prefix: 'a' }), ['a', 'a\u0000', 'a/1', 'a/2', 'aa', 'ab'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a/' }), ['a/1', 'a/2'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'b' }), ['b', 'ba'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'c' }), [])
        assert.deepEqual(listKeys(storage, object, { prefix: '' }), keys)
      })

      it('start is inclusive and startAfter is exclusive', () => {
        assert.deepEqual(listKeys(storage, object, { start: 'aa' }), ['aa', 'ab', 'b', 'ba'])
        assert.deepEqual(listKeys(storage, object, { startAfter: 'aa' }), ['ab', 'b', 'ba'])
        assert.deepEqual(listKeys(storage, object, { startAfter: 'a' }).slice(0, 2), ['a\u0000', 'a/1'])
        assert.deepEqual(listKeys(storage, object, { startAfter: 'a/15' }), ['a/2', 'aa', 'ab', 'b', 'ba'])
      })

      it('end is exclusive', () => {
        assert.deepEqual(listKeys(storage, object, { end: 'a/1' }), ['', '`', 'a', 'a\u0000'])
        assert.deepEqual(listKeys(storage, object, { start: 'a/1', end: 'ab' }), ['a/1', 'a/2', 'aa'])
        assert.deepEqual(listKeys(storage, object, { startAfter: 'a/1', end: 'ab' }), ['a/2', 'aa'])
      })

      it('limit caps the count from the start of the range', () => {
        assert.deepEqual(listKeys(storage, object, { limit: 3 }), ['', '`', 'a'])
        assert.deepEqual(listKeys(storage, object, { start: 'a/1', limit: 2 }), ['a/1', 'a/2'])
        assert.deepEqual(listKeys(storage, object, { limit: 1000 }), keys)
      })

      it('reverse walks the same range from its end, and with limit returns the last keys', () => {
        assert.deepEqual(listKeys(storage, object, { reverse: true }), [...keys].reverse())
        assert.deepEqual(listKeys(storage, object, { reverse: true, limit: 2 }), ['ba', 'b'])
        assert.deepEqual(listKeys(storage, object, { start: 'a/1', end: 'ab', reverse: true }), ['aa', 'a/2', 'a/1'])
        assert.deepEqual(listKeys(storage, object, { startAfter: 'a/1', end: 'b', reverse: true, limit: 2 }), ['ab', 'aa'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', reverse: true, limit: 2 }), ['ab', 'aa'])
      })

      it('prefix combined with start or end keeps only keys inside both', () => {
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', start: '`' }), ['a', 'a\u0000', 'a/1', 'a/2', 'aa', 'ab'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', start: 'a/2' }), ['a/2', 'aa', 'ab'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', startAfter: 'a' }), ['a\u0000', 'a/1', 'a/2', 'aa', 'ab'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', start: 'b' }), [])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', end: 'a/2' }), ['a', 'a\u0000', 'a/1'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', end: 'z' }), ['a', 'a\u0000', 'a/1', 'a/2', 'aa', 'ab'])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', end: 'a' }), [])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', end: '`' }), [])
        assert.deepEqual(listKeys(storage, object, { prefix: 'a', start: 'a/1', end: 'aa', limit: 5 }), ['a/1', 'a/2'])
      })

      it('a range whose end is not after its start is empty', () => {
        assert.deepEqual(listKeys(storage, object, { start: 'b', end: 'a' }), [])
        assert.deepEqual(listKeys(storage, object, { start: 'a', end: 'a' }), [])
        assert.deepEqual(listKeys(storage, object, { startAfter: 'a', end: 'a\u0000' }), [])
      })

      it('refuses start together with startAfter, and a limit that is not a positive integer', () => {
        assertStorageError(() => storage.list(object, { start: 'a', startAfter: 'a' }), 'STORAGE_BAD_ARGUMENT')
        for (const limit of [0, -1, 1.5, Number.NaN]) {
          assertStorageError(() => storage.list(object, { limit }), 'STORAGE_BAD_ARGUMENT')
        }
      })
    })

    describe('non-ASCII keys', () => {
      // UTF-8 byte order. JavaScript's default sort (UTF-16 code units) puts the astral
      // characters (surrogates D800–DBFF) before U+FFFF; UTF-8 puts them after (F0–F4 > EF).
      const ordered = ['z', 'é', 'éa', 'ê', '€', '\uFFFF', '\uFFFFa', '😀', '\u{10FFFF}']

      it('list and get order keys by their UTF-8 bytes, not UTF-16 code units', () => {
        assert.notDeepEqual([...ordered].sort(), ordered, 'the fixture must tell the two orders apart')
        const object = newObject()
        putText(storage, object, Object.fromEntries([...ordered].reverse().map((key) => [key, key])))
        assert.deepEqual(listKeys(storage, object, {}), ordered)
        assert.deepEqual(listKeys(storage, object, { reverse: true }), [...ordered].reverse())
        assert.deepEqual([...storage.get(object, [...ordered].reverse()).keys()], ordered)
        assert.equal(text(storage.get(object, ['😀']).get('😀')), '😀')
      })

      it('prefix, start and end work on multi-byte characters', () => {
        const object = newObject()
        putText(storage, object, Object.fromEntries(['e', ...ordered].map((key) => [key, key])))
        assert.deepEqual(listKeys(storage, object, { prefix: 'é' }), ['é', 'éa'])
        // The key after prefix U+FFFF (EF BF BF) is EF BF C0, not valid UTF-8: only a byte-wise
        // store gets this right.
        assert.deepEqual(listKeys(storage, object, { prefix: '\uFFFF' }), ['\uFFFF', '\uFFFFa'])
        assert.deepEqual(listKeys(storage, object, { start: 'é', end: '\uFFFF' }), ['é', 'éa', 'ê', '€'])
        assert.deepEqual(listKeys(storage, object, { startAfter: '€', limit: 2 }), ['\uFFFF', '\uFFFFa'])
      })
    })

    describe('deleteAll', () => {
      it('removes every key of the object and nothing of other objects', () => {
        const object = newObject()
        const sibling = { className: object.className, objectId: newId() }
        const otherClass = { className: newClassName(), objectId: object.objectId }
        for (const target of [object, sibling, otherClass]) putText(storage, target, { a: '1', b: '2' })
        storage.commit(object, { deleteAll: true })
        assert.deepEqual(listKeys(storage, object, {}), [])
        assert.deepEqual(listKeys(storage, sibling, {}), ['a', 'b'])
        assert.deepEqual(listKeys(storage, otherClass, {}), ['a', 'b'])
      })

      it('leaves the alarm unless the same commit deletes it', () => {
        const object = newObject()
        storage.commit(object, { writes: [{ key: 'a', value: bytes('1') }], alarm: 5_000 })
        storage.commit(object, { deleteAll: true })
        assert.equal(storage.getAlarm(object), 5_000)
        storage.commit(object, { deleteAll: true, alarm: null })
        assert.equal(storage.getAlarm(object), null)
      })

      it('applies before the writes of the same commit', () => {
        const object = newObject()
        putText(storage, object, { old: '1', kept: 'old' })
        storage.commit(object, { deleteAll: true, writes: [{ key: 'kept', value: bytes('new') }] })
        assert.deepEqual(entries(storage.list(object, {})), [['kept', 'new']])
      })
    })

    describe('limits and atomicity', () => {
      it('accepts keys up to 2048 UTF-8 bytes and refuses longer ones', () => {
        const object = newObject()
        const longest = 'é'.repeat(STORAGE_LIMITS.maxKeyBytes / 2) // 1024 characters, 2048 bytes
        putText(storage, object, { [longest]: 'ok' })
        assert.equal(text(storage.get(object, [longest]).get(longest)), 'ok')
        assertStorageError(() => putText(storage, object, { [`${longest}a`]: 'too long' }), 'STORAGE_KEY_TOO_LARGE')
      })

      it('accepts values up to the limit and refuses larger ones', () => {
        const object = newObject()
        const largest = new Uint8Array(STORAGE_LIMITS.maxValueBytes).fill(7)
        storage.commit(object, { writes: [{ key: 'big', value: largest }] })
        assert.equal(storage.get(object, ['big']).get('big')?.byteLength, STORAGE_LIMITS.maxValueBytes)
        const tooLarge = new Uint8Array(STORAGE_LIMITS.maxValueBytes + 1)
        assertStorageError(() => storage.commit(object, { writes: [{ key: 'big', value: tooLarge }] }), 'STORAGE_VALUE_TOO_LARGE')
      })

      it('a commit that fails midway leaves keys and alarm as they were', () => {
        const object = newObject()
        storage.commit(object, { writes: [{ key: 'a', value: bytes('1') }, { key: 'b', value: bytes('2') }], alarm: 1_000 })
        const failing = [
          { key: 'c', value: bytes('3') },
          { key: 'a', value: null },
          { key: 'd', value: new Uint8Array(STORAGE_LIMITS.maxValueBytes + 1) },
        ]
        assertStorageError(() => storage.commit(object, { deleteAll: true, writes: failing, alarm: 2_000 }), 'STORAGE_VALUE_TOO_LARGE')
        const tooLongKey = [{ key: 'e', value: bytes('5') }, { key: 'x'.repeat(STORAGE_LIMITS.maxKeyBytes + 1), value: bytes('6') }]
        assertStorageError(() => storage.commit(object, { writes: tooLongKey, alarm: null }), 'STORAGE_KEY_TOO_LARGE')
        assertStorageError(() => storage.commit(object, { writes: [{ key: 'f', value: bytes('7') }], alarm: Number.NaN }), 'STORAGE_BAD_ARGUMENT')
        assert.deepEqual(entries(storage.list(object, {})), [['a', '1'], ['b', '2']])
        assert.equal(storage.getAlarm(object), 1_000)
        // The failed transactions were rolled back, not left open.
        putText(storage, object, { c: '3' })
        assert.deepEqual(listKeys(storage, object, {}), ['a', 'b', 'c'])
      })
    })

    it('objects and classes do not see each other\'s keys', () => {
      const object = newObject()
      const sibling = { className: object.className, objectId: newId() }
      const otherClass = { className: newClassName(), objectId: object.objectId }
      putText(storage, object, { shared: 'object', only: 'object' })
      putText(storage, sibling, { shared: 'sibling' })
      putText(storage, otherClass, { shared: 'other class' })
      storage.commit(sibling, { writes: [{ key: 'only', value: null }] })
      assert.deepEqual(entries(storage.list(object, {})), [['only', 'object'], ['shared', 'object']])
      assert.deepEqual(entries(storage.get(sibling, ['shared', 'only'])), [['shared', 'sibling']])
      assert.deepEqual(entries(storage.list(otherClass, { prefix: 's' })), [['shared', 'other class']])
    })

    describe('alarms', () => {
      it('getAlarm is null until set, follows each set, and is null after delete', () => {
        const object = newObject()
        assert.equal(storage.getAlarm(object), null)
        storage.commit(object, { alarm: 1_700_000_000_000 })
        assert.equal(storage.getAlarm(object), 1_700_000_000_000)
        storage.commit(object, { alarm: 1_700_000_000_500 })
        assert.equal(storage.getAlarm(object), 1_700_000_000_500)
        storage.commit(object, { writes: [{ key: 'k', value: bytes('v') }] })
        assert.equal(storage.getAlarm(object), 1_700_000_000_500, 'a commit without alarm leaves it')
        storage.commit(object, { alarm: null })
        assert.equal(storage.getAlarm(object), null)
      })

      it('pendingAlarms lists every object with an alarm, earliest first, with its name', () => {
        const className = newClassName()
        const named = { className, objectId: newId(), name: 'room-1' }
        const anonymous = { className, objectId: newId() }
        const cancelled = { className, objectId: newId() }
        storage.commit(named, { alarm: 3_000 })
        storage.commit(anonymous, { alarm: 2_000, writes: [{ key: 'k', value: bytes('v') }] })
        storage.commit(cancelled, { alarm: 1_000 })
        storage.commit(cancelled, { alarm: null })
        const pending = storage.pendingAlarms().filter((alarm) => alarm.object.className === className)
        assert.deepEqual(pending, [{ object: anonymous, time: 2_000 }, { object: named, time: 3_000 }])
      })
    })

    it('keys and alarms survive closing and reopening the store', () => {
      const object = { ...newObject(), name: 'persistent' }
      storage.commit(object, { writes: [{ key: 'a', value: bytes('1') }, { key: 'é', value: bytes('2') }], alarm: 42_000 })
      storage.close()
      storage = open()
      assert.deepEqual(entries(storage.list(object, {})), [['a', '1'], ['é', '2']])
      assert.equal(storage.getAlarm(object), 42_000)
      assert.deepEqual(storage.pendingAlarms().filter((alarm) => alarm.object.objectId === object.objectId), [{ object, time: 42_000 }])
    })
  })
}

const runId = randomBytes(4).toString('hex')
let classCounter = 0

function newClassName(): string {
  return `Contract_${runId}_${++classCounter}`
}

function newId(): string {
  return randomBytes(32).toString('hex')
}

function newObject(): ObjectAddress {
  return { className: newClassName(), objectId: newId() }
}

function bytes(value: string): Uint8Array {
  return new TextEncoder().encode(value)
}

function text(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : new TextDecoder().decode(value)
}

function putText(storage: AppStorage, object: ObjectAddress, values: Record<string, string>): void {
  storage.commit(object, { writes: Object.entries(values).map(([key, value]) => ({ key, value: bytes(value) })) })
}

function listKeys(storage: AppStorage, object: ObjectAddress, options: ListOptions): string[] {
  return [...storage.list(object, options).keys()]
}

function entries(map: Map<string, Uint8Array>): [string, string | undefined][] {
  return [...map].map(([key, value]) => [key, text(value)])
}

function assertStorageError(fn: () => unknown, code: StorageError['code']): void {
  assert.throws(fn, (error: unknown) => error instanceof StorageError && error.code === code)
}
