import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { STEP_MS, type UsageQuery } from './usage-query.js'
import { MINUTE_MS, type UsageRecord } from './usage-record.js'

/** One row of a usage query: the sums of a site's minutes in [start, start + step). */
export interface UsageRow {
  site: string
  /** Bucket start, ISO 8601 UTC. */
  start: string
  /** Bucket start, epoch ms. */
  startMs: number
  /** connectionMs / 60,000 (not rounded). */
  connectionMinutes: number
  connectionMs: number
  messagesFromClient: number
  messagesToClient: number
  payloadBytesFromClient: number
  payloadBytesToClient: number
  wireBytesFromClient: number
  wireBytesToClient: number
  /** The highest per-minute peak in the bucket. */
  peakConcurrent: number
  handshakesAccepted: number
  handshakesRefused: number
}

/** Usage records per (site, minute), persisted. */
export interface UsageStore {
  /** Adds the records to the stored ones of the same (site, minute) (peak: the maximum), in one transaction. */
  flush(records: readonly UsageRecord[]): void
  /** Rows per site and step-sized bucket for the minutes that start in [from, to), oldest first; empty buckets are left out. */
  query(query: UsageQuery): UsageRow[]
  /** Every site with a stored record, sorted. */
  sites(): string[]
  close(): void
}

/** The usage database of an edge: `<data_dir>/usage.sqlite`. */
export function usageStorePath(dataDir: string): string {
  return path.join(dataDir, 'usage.sqlite')
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS usage_minutes (
    site TEXT NOT NULL,
    minute INTEGER NOT NULL,
    connection_ms INTEGER NOT NULL,
    messages_from_client INTEGER NOT NULL,
    messages_to_client INTEGER NOT NULL,
    payload_bytes_from_client INTEGER NOT NULL,
    payload_bytes_to_client INTEGER NOT NULL,
    wire_bytes_from_client INTEGER NOT NULL,
    wire_bytes_to_client INTEGER NOT NULL,
    peak_concurrent INTEGER NOT NULL,
    handshakes_accepted INTEGER NOT NULL,
    handshakes_refused INTEGER NOT NULL,
    PRIMARY KEY (site, minute)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS usage_minutes_by_minute ON usage_minutes (minute);
`
const SCHEMA_VERSION = 1

/** Column ↔ record field, in table order after (site, minute). */
const COLUMNS = [
  ['connection_ms', 'connectionMs'],
  ['messages_from_client', 'messagesFromClient'],
  ['messages_to_client', 'messagesToClient'],
  ['payload_bytes_from_client', 'payloadBytesFromClient'],
  ['payload_bytes_to_client', 'payloadBytesToClient'],
  ['wire_bytes_from_client', 'wireBytesFromClient'],
  ['wire_bytes_to_client', 'wireBytesToClient'],
  ['peak_concurrent', 'peakConcurrent'],
  ['handshakes_accepted', 'handshakesAccepted'],
  ['handshakes_refused', 'handshakesRefused'],
] as const satisfies readonly (readonly [string, keyof UsageRecord])[]

const merge = (column: string): string => (column === 'peak_concurrent' ? `${column} = MAX(${column}, excluded.${column})` : `${column} = ${column} + excluded.${column}`)
const UPSERT = `
  INSERT INTO usage_minutes (site, minute, ${COLUMNS.map(([column]) => column).join(', ')})
  VALUES (@site, @minute, ${COLUMNS.map(([, field]) => `@${field}`).join(', ')})
  ON CONFLICT (site, minute) DO UPDATE SET ${COLUMNS.map(([column]) => merge(column)).join(', ')}
`
// `minute - minute % step`: numbers are bound as REAL, and % works on integers (so does the result).
const aggregate = (column: string): string => (column === 'peak_concurrent' ? `MAX(${column})` : `SUM(${column})`)
const SELECT = `
  SELECT site, minute - minute % @step AS start, ${COLUMNS.map(([column, field]) => `${aggregate(column)} AS ${field}`).join(', ')}
  FROM usage_minutes
  WHERE minute >= @from AND minute < @to AND (@site IS NULL OR site = @site)
  GROUP BY site, start
  ORDER BY site, start
`

export interface OpenUsageStoreOptions {
  /** Fail when the file does not exist instead of creating it (readers such as `wedge usage`). */
  mustExist?: boolean
}

/**
 * Opens (creating the file and its folder unless `mustExist`) a usage database.
 *
 * Durability: WAL with `synchronous=FULL`, so a flush that returned survives a crash of the
 * process or of the machine. The meter flushes about once a minute, so the fsync is cheap.
 */
export function openUsageStore(file: string, options: OpenUsageStoreOptions = {}): UsageStore {
  if (!options.mustExist && file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true })
  const db = new Database(file, { fileMustExist: options.mustExist === true })
  try {
    return new SqliteUsageStore(db)
  } catch (error) {
    db.close()
    throw error
  }
}

type Row = Omit<UsageRow, 'start' | 'startMs' | 'connectionMinutes'> & { start: number }

class SqliteUsageStore implements UsageStore {
  readonly #db: Database.Database
  readonly #flush: (records: readonly UsageRecord[]) => void
  readonly #select: Database.Statement<[{ step: number; from: number; to: number; site: string | null }], Row>
  readonly #sites: Database.Statement<[], string>

  constructor(db: Database.Database) {
    this.#db = db
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    // A reader (wedge usage) and the edge may open the file at the same time.
    db.pragma('busy_timeout = 5000')
    db.exec(SCHEMA)
    if (db.pragma('user_version', { simple: true }) === 0) db.pragma(`user_version = ${SCHEMA_VERSION}`)
    const upsert = db.prepare(UPSERT)
    this.#flush = db.transaction((records: readonly UsageRecord[]) => {
      for (const record of records) upsert.run(record)
    })
    this.#select = db.prepare(SELECT)
    this.#sites = db.prepare('SELECT DISTINCT site FROM usage_minutes ORDER BY site').pluck() as Database.Statement<[], string>
  }

  flush(records: readonly UsageRecord[]): void {
    for (const record of records) checkRecord(record)
    this.#flush(records)
  }

  query(query: UsageQuery): UsageRow[] {
    const rows = this.#select.all({ step: STEP_MS[query.step], from: query.from, to: query.to, site: query.site ?? null })
    return rows.map(({ site, start, ...sums }) => ({
      site,
      start: new Date(start).toISOString(),
      startMs: start,
      connectionMinutes: sums.connectionMs / MINUTE_MS,
      ...sums,
    }))
  }

  sites(): string[] {
    return this.#sites.all()
  }

  close(): void {
    this.#db.close()
  }
}

/** Refuses what would corrupt the sums: a minute not on a boundary, a negative or fractional count. */
function checkRecord(record: UsageRecord): void {
  if (!Number.isSafeInteger(record.minute) || record.minute % MINUTE_MS !== 0) throw new RangeError(`usage record of ${record.site}: minute ${record.minute} is not the start of a minute (epoch ms)`)
  for (const [, field] of COLUMNS) {
    const value = record[field]
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`usage record of ${record.site} at ${new Date(record.minute).toISOString()}: ${field} is ${value}, expected a whole number ≥ 0`)
  }
}
