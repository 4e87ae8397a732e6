import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { AppStorage, ListOptions, ObjectAddress, StorageChange } from './app-storage.js'
import { keyRange } from './key-range.js'
import { checkAlarmTime, checkValue, encodeKey } from './storage-limits.js'

/** Keys are BLOBs of UTF-8 so that SQLite's memcmp order is Cloudflare's UTF-8 byte order. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kv (
    class_name TEXT NOT NULL,
    object_id TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (class_name, object_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS alarms (
    class_name TEXT NOT NULL,
    object_id TEXT NOT NULL,
    name TEXT,
    time INTEGER NOT NULL,
    PRIMARY KEY (class_name, object_id)
  ) WITHOUT ROWID;
`
const SCHEMA_VERSION = 1
/** Keys per `IN (...)` query: far below SQLite's bound-parameter limit, few distinct statements. */
const GET_CHUNK = 100

export interface SqliteStorageOptions {
  /**
   * How often (ms) to checkpoint the WAL when something was committed, which fsyncs it; 0
   * disables it (SQLite then syncs only at its own 1000-page autocheckpoint). Default 1000.
   */
  syncIntervalMs?: number
}

/**
 * Opens (creating the file and its parent folders) the storage database of one app.
 *
 * Durability: WAL with `synchronous=NORMAL`. A commit is written to the WAL before `commit`
 * returns, so it survives a crash of the process; the WAL is fsynced only at a checkpoint,
 * so an OS crash or power loss may lose commits since the last one. The `syncIntervalMs`
 * checkpoint bounds that window to about a second by default, without an fsync on every
 * event (which `synchronous=FULL` would cost). The database is never corrupted either way.
 */
export function openSqliteStorage(file: string, options: SqliteStorageOptions = {}): AppStorage {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  return new SqliteAppStorage(new Database(file), options.syncIntervalMs ?? 1000)
}

type Row = [key: Buffer, value: Buffer]

class SqliteAppStorage implements AppStorage {
  readonly #db: Database.Database
  readonly #statements: ReturnType<typeof prepareStatements>
  readonly #getMany = new Map<number, Database.Statement<unknown[], Row>>()
  readonly #commit: (object: ObjectAddress, change: StorageChange) => void
  readonly #syncTimer: NodeJS.Timeout | undefined
  #dirty = false

  constructor(db: Database.Database, syncIntervalMs: number) {
    this.#db = db
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.exec(SCHEMA)
    if (db.pragma('user_version', { simple: true }) === 0) db.pragma(`user_version = ${SCHEMA_VERSION}`)
    this.#statements = prepareStatements(db)
    this.#commit = db.transaction((object: ObjectAddress, change: StorageChange) => this.#apply(object, change))
    if (syncIntervalMs > 0) this.#syncTimer = setInterval(() => this.#sync(), syncIntervalMs).unref()
  }

  get(object: ObjectAddress, keys: string[]): Map<string, Uint8Array> {
    const encoded = [...new Set(keys)].map(encodeKey)
    const rows: Row[] = []
    for (let i = 0; i < encoded.length; i += GET_CHUNK) {
      const chunk = encoded.slice(i, i + GET_CHUNK)
      rows.push(...this.#getManyStatement(chunk.length).all(object.className, object.objectId, ...chunk))
    }
    // Chunks are each in key order; merge them by sorting the (few) rows as bytes.
    if (encoded.length > GET_CHUNK) rows.sort((a, b) => Buffer.compare(a[0], b[0]))
    return toMap(rows)
  }

  list(object: ObjectAddress, options: ListOptions): Map<string, Uint8Array> {
    const range = keyRange(options)
    if (range === null) return new Map()
    const statements = this.#statements.list[range.reverse ? 'descending' : 'ascending']
    const limit = range.limit ?? -1 // SQLite: a negative LIMIT means none
    const rows = range.end === null
      ? statements.open.all(object.className, object.objectId, range.start, limit)
      : statements.bounded.all(object.className, object.objectId, range.start, range.end, limit)
    return toMap(rows)
  }

  commit(object: ObjectAddress, change: StorageChange): void {
    // Most events write nothing: skip the transaction (and the next checkpoint) for them.
    if (change.deleteAll !== true && !change.writes?.length && change.alarm === undefined) return
    this.#commit(object, change)
    this.#dirty = true
  }

  getAlarm(object: ObjectAddress): number | null {
    return this.#statements.getAlarm.get(object.className, object.objectId) ?? null
  }

  pendingAlarms(): { object: ObjectAddress; time: number }[] {
    return this.#statements.pendingAlarms.all().map(([className, objectId, name, time]) => ({
      object: name === null ? { className, objectId } : { className, objectId, name },
      time,
    }))
  }

  close(): void {
    clearInterval(this.#syncTimer)
    if (this.#db.open) this.#db.close()
  }

  /** Runs inside the transaction: any throw rolls back everything applied before it. */
  #apply(object: ObjectAddress, change: StorageChange): void {
    const { className, objectId } = object
    const statements = this.#statements
    if (change.deleteAll === true) statements.deleteAll.run(className, objectId)
    for (const write of change.writes ?? []) {
      const key = encodeKey(write.key)
      if (write.value === null) {
        statements.delete.run(className, objectId, key)
      } else {
        checkValue(write.value)
        statements.put.run(className, objectId, key, write.value)
      }
    }
    if (change.alarm === null) statements.deleteAlarm.run(className, objectId)
    else if (change.alarm !== undefined) statements.setAlarm.run(className, objectId, object.name ?? null, checkAlarmTime(change.alarm))
  }

  #getManyStatement(count: number): Database.Statement<unknown[], Row> {
    let statement = this.#getMany.get(count)
    if (statement === undefined) {
      const placeholders = new Array<string>(count).fill('?').join(', ')
      statement = this.#db.prepare<unknown[], Row>(
        `SELECT key, value FROM kv WHERE class_name = ? AND object_id = ? AND key IN (${placeholders}) ORDER BY key`).raw()
      this.#getMany.set(count, statement)
    }
    return statement
  }

  /** A checkpoint fsyncs the WAL first (synchronous=NORMAL), making earlier commits durable. */
  #sync(): void {
    if (!this.#dirty || !this.#db.open) return
    this.#dirty = false
    try {
      this.#db.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      this.#dirty = true // retried on the next tick
    }
  }
}

function prepareStatements(db: Database.Database) {
  const listStatements = (order: 'ASC' | 'DESC') => ({
    open: db.prepare<unknown[], Row>(
      `SELECT key, value FROM kv WHERE class_name = ? AND object_id = ? AND key >= ? ORDER BY key ${order} LIMIT ?`).raw(),
    bounded: db.prepare<unknown[], Row>(
      `SELECT key, value FROM kv WHERE class_name = ? AND object_id = ? AND key >= ? AND key < ? ORDER BY key ${order} LIMIT ?`).raw(),
  })
  return {
    list: { ascending: listStatements('ASC'), descending: listStatements('DESC') },
    put: db.prepare(`INSERT INTO kv (class_name, object_id, key, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (class_name, object_id, key) DO UPDATE SET value = excluded.value`),
    delete: db.prepare('DELETE FROM kv WHERE class_name = ? AND object_id = ? AND key = ?'),
    deleteAll: db.prepare('DELETE FROM kv WHERE class_name = ? AND object_id = ?'),
    getAlarm: db.prepare<unknown[], number>('SELECT time FROM alarms WHERE class_name = ? AND object_id = ?').pluck(),
    setAlarm: db.prepare(`INSERT INTO alarms (class_name, object_id, name, time) VALUES (?, ?, ?, ?)
      ON CONFLICT (class_name, object_id) DO UPDATE SET name = COALESCE(excluded.name, name), time = excluded.time`),
    deleteAlarm: db.prepare('DELETE FROM alarms WHERE class_name = ? AND object_id = ?'),
    pendingAlarms: db.prepare<[], [string, string, string | null, number]>(
      'SELECT class_name, object_id, name, time FROM alarms ORDER BY time').raw(),
  }
}

function toMap(rows: Row[]): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>()
  for (const [key, value] of rows) map.set(key.toString('utf8'), value)
  return map
}
