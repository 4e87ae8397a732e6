import type { UsageQuery, UsageStep } from './usage-query.js'
import type { UsageRow, UsageStore } from './usage-store.js'

export type UsageTotals = Omit<UsageRow, 'start' | 'startMs'>

/** The JSON body of `GET /api/usage` and of `wedge usage --format json`. */
export interface UsageReport {
  site: string | null
  from: string
  to: string
  step: UsageStep
  rows: UsageRow[]
  /** One per site present in `rows`: sums over the range, peakConcurrent the maximum. */
  totals: UsageTotals[]
}

export function usageReport(store: UsageStore, query: UsageQuery): UsageReport {
  const rows = store.query(query)
  return { site: query.site ?? null, from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), step: query.step, rows, totals: totalsBySite(rows) }
}

const SUMMED = ['connectionMs', 'messagesFromClient', 'messagesToClient', 'payloadBytesFromClient', 'payloadBytesToClient', 'wireBytesFromClient', 'wireBytesToClient', 'handshakesAccepted', 'handshakesRefused'] as const

function totalsBySite(rows: readonly UsageRow[]): UsageTotals[] {
  const bySite = new Map<string, UsageTotals>()
  for (const row of rows) {
    const total = bySite.get(row.site)
    if (!total) {
      const { start: _start, startMs: _startMs, ...first } = row
      bySite.set(row.site, first)
      continue
    }
    for (const field of SUMMED) total[field] += row[field]
    total.peakConcurrent = Math.max(total.peakConcurrent, row.peakConcurrent)
    total.connectionMinutes = total.connectionMs / 60_000
  }
  return [...bySite.values()]
}

/** Columns of the table and CSV forms: CSV header, table header, value. */
const COLUMNS: readonly [csv: string, table: string, value: (row: UsageRow) => number | string][] = [
  ['site', 'SITE', (row) => row.site],
  ['start', 'START (UTC)', (row) => row.start],
  ['connection_minutes', 'CONN-MIN', (row) => row.connectionMinutes],
  ['connection_ms', '', (row) => row.connectionMs],
  ['peak_concurrent', 'PEAK', (row) => row.peakConcurrent],
  ['handshakes_accepted', 'HS-OK', (row) => row.handshakesAccepted],
  ['handshakes_refused', 'HS-REFUSED', (row) => row.handshakesRefused],
  ['messages_from_client', 'MSG-IN', (row) => row.messagesFromClient],
  ['messages_to_client', 'MSG-OUT', (row) => row.messagesToClient],
  ['payload_bytes_from_client', 'PAYLOAD-IN', (row) => row.payloadBytesFromClient],
  ['payload_bytes_to_client', 'PAYLOAD-OUT', (row) => row.payloadBytesToClient],
  ['wire_bytes_from_client', 'WIRE-IN', (row) => row.wireBytesFromClient],
  ['wire_bytes_to_client', 'WIRE-OUT', (row) => row.wireBytesToClient],
]

/** RFC 4180 CSV with a header line; numbers unrounded. */
export function usageCsv(report: UsageReport): string {
  const lines = [COLUMNS.map(([name]) => name).join(',')]
  for (const row of report.rows) lines.push(COLUMNS.map(([, , value]) => csvField(value(row))).join(','))
  return lines.join('\r\n') + '\r\n'
}

function csvField(value: number | string): string {
  if (typeof value === 'number') return String(value)
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/** An aligned text table ("in" = from the client), with a TOTAL line per site. */
export function usageTable(report: UsageReport): string {
  const columns = COLUMNS.filter(([, header]) => header !== '')
  const cells = (row: UsageRow): string[] => columns.map(([csv, , value]) => {
    const v = value(row)
    if (csv === 'start') return formatStart(String(v), report.step)
    return typeof v === 'number' ? (csv === 'connection_minutes' ? v.toFixed(3) : String(v)) : v
  })
  const lines: string[][] = [columns.map(([, header]) => header)]
  for (const row of report.rows) lines.push(cells(row))
  for (const total of report.totals) lines.push(cells({ ...total, start: 'TOTAL', startMs: 0 }))
  if (report.rows.length === 0) return `no usage recorded${report.site ? ` for site ${report.site}` : ''} from ${report.from} to ${report.to}\n`
  const widths = columns.map((_, index) => Math.max(...lines.map((line) => line[index]!.length)))
  return lines.map((line) => line.map((cell, index) => (index < 2 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ').trimEnd()).join('\n') + '\n'
}

function formatStart(iso: string, step: UsageStep): string {
  if (iso === 'TOTAL') return iso
  return step === 'day' ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ')
}
