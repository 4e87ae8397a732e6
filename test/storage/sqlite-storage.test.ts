import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { openSqliteStorage } from '../../src/storage/app-storage.js'
import { describeAppStorageContract } from './app-storage.contract.js'

const dataDir = mkdtempSync(join(tmpdir(), 'wedge-storage-'))
after(() => rmSync(dataDir, { recursive: true, force: true }))

const contractFile = join(dataDir, 'apps', 'contract', 'storage.sqlite')
describeAppStorageContract('SQLite', () => openSqliteStorage(contractFile))

const room = { className: 'Room', objectId: 'a'.repeat(64) }
const bytes = (text: string) => new TextEncoder().encode(text)

describe('SQLite storage file', () => {
  it('creates its parent folders, uses WAL, and stores keys as UTF-8 BLOBs', (t) => {
    const file = join(dataDir, 'apps', 'nested', 'deeper', 'storage.sqlite')
    const storage = openSqliteStorage(file)
    t.after(() => storage.close())
    storage.commit(room, { writes: [{ key: 'é', value: bytes('v') }] })
    assert.ok(existsSync(file))
    const inspector = new Database(file, { readonly: true })
    t.after(() => inspector.close())
    assert.equal(inspector.pragma('journal_mode', { simple: true }), 'wal')
    assert.deepEqual(inspector.prepare('SELECT typeof(key) AS type, hex(key) AS hex FROM kv').get(), { type: 'blob', hex: 'C3A9' })
  })

  it('a commit survives the process being killed right after it', async (t) => {
    const file = join(dataDir, 'apps', 'killed', 'storage.sqlite')
    const moduleUrl = new URL('../../src/storage/sqlite-storage.js', import.meta.url).href
    // The child commits, says so, and waits: no close(), no checkpoint (syncIntervalMs 0).
    const script = `
      import { openSqliteStorage } from ${JSON.stringify(moduleUrl)}
      const storage = openSqliteStorage(${JSON.stringify(file)}, { syncIntervalMs: 0 })
      storage.commit(${JSON.stringify(room)}, { writes: [{ key: 'k', value: new TextEncoder().encode('survived') }], alarm: 123 })
      process.stdout.write('committed\\n')
      setInterval(() => {}, 1000)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error('child did not commit within 5 s')), 5_000)
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('committed')) { clearTimeout(timeout); resolve() }
      })
    })
    child.kill('SIGKILL')
    assert.equal(await exited, 'SIGKILL')

    const storage = openSqliteStorage(file)
    try {
      assert.equal(new TextDecoder().decode(storage.get(room, ['k']).get('k')), 'survived')
      assert.equal(storage.getAlarm(room), 123)
    } finally {
      storage.close()
    }
  })

  it('checkpoints the WAL into the database file within the sync interval after a commit', async (t) => {
    const file = join(dataDir, 'apps', 'synced', 'storage.sqlite')
    const storage = openSqliteStorage(file, { syncIntervalMs: 50 })
    t.after(() => storage.close())
    const marker = `marker-${Math.random().toString(36).slice(2)}`
    storage.commit(room, { writes: [{ key: 'k', value: bytes(marker) }] })
    assert.ok(!readFileSync(file).includes(marker), 'right after the commit the value is only in the WAL')
    const deadline = Date.now() + 2_000
    while (!readFileSync(file).includes(marker) && Date.now() < deadline) await sleep(20)
    assert.ok(readFileSync(file).includes(marker), 'the checkpoint copied the commit into the database file')
  })

  it('without a sync interval a small commit stays in the WAL until close', async () => {
    const file = join(dataDir, 'apps', 'unsynced', 'storage.sqlite')
    const storage = openSqliteStorage(file, { syncIntervalMs: 0 })
    const marker = `marker-${Math.random().toString(36).slice(2)}`
    storage.commit(room, { writes: [{ key: 'k', value: bytes(marker) }] })
    await sleep(150)
    assert.ok(readFileSync(`${file}-wal`).includes(marker))
    assert.ok(!readFileSync(file).includes(marker))
    storage.close() // the last connection's close checkpoints
    assert.ok(readFileSync(file).includes(marker))
  })

  it('close is idempotent and calls after close throw', () => {
    const storage = openSqliteStorage(join(dataDir, 'apps', 'closed', 'storage.sqlite'))
    storage.close()
    storage.close()
    assert.throws(() => storage.get(room, ['k']))
  })
})
