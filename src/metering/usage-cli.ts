import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { adminUrl } from '../admin/admin-client.js'
import { usageQuery, UsageQueryError, type UsageQuery } from './usage-query.js'
import { usageCsv, usageReport, usageTable, type UsageReport } from './usage-report.js'
import { openUsageStore, usageStorePath } from './usage-store.js'

/** Where the command writes; tests pass their own. */
export interface UsageCommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  /** Relative times ("-1h") count back from here (default Date.now()). */
  now?: number
}

/** Same values as the CLI's ExitCode (src/cli/command.ts), which this layer does not import. */
const OK = 0
const FAILURE = 1
const USAGE = 2

const FORMATS = ['table', 'csv', 'json'] as const
const ANSWER_TIMEOUT_MS = 30_000

interface UsageOption {
  name: string
  short?: string
  type: 'string'
  placeholder: string
  description: string
}

const OPTIONS: readonly UsageOption[] = [
  { name: 'site', short: 's', type: 'string', placeholder: 'NAME', description: 'One site (default: every site).' },
  { name: 'from', type: 'string', placeholder: 'TIME', description: 'Start: ISO 8601 (UTC unless an offset is given), epoch ms, or relative ("-1h", "-7d"). Default: 1 h / 24 h / 30 d before --to, by step.' },
  { name: 'to', type: 'string', placeholder: 'TIME', description: 'End, exclusive (default: now).' },
  { name: 'step', type: 'string', placeholder: 'minute|hour|day', description: 'Bucket size, UTC-aligned (default: minute).' },
  { name: 'format', short: 'f', type: 'string', placeholder: 'table|csv|json', description: 'Output format (default: table).' },
  { name: 'data-dir', short: 'd', type: 'string', placeholder: 'DIR', description: 'Read <DIR>/usage.sqlite directly (the edge\'s data_dir); shows flushed minutes only.' },
  { name: 'admin', type: 'string', placeholder: 'URL', description: 'Ask a running edge\'s admin API instead ("http://127.0.0.1:9090" or "host:port").' },
  { name: 'token', type: 'string', placeholder: 'TOKEN', description: 'Admin bearer token (default: $WEDGE_ADMIN_TOKEN).' },
]

const PARSE_OPTIONS: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
  ...Object.fromEntries(OPTIONS.map((o) => [o.name, o.short === undefined ? { type: o.type } : { type: o.type, short: o.short }])),
  help: { type: 'boolean', short: 'h' },
}

const DETAILS = [
  'Prints usage records (connection-minutes, messages and bytes each way, peak concurrent',
  'connections, handshakes) summed per site and per minute, hour or day, for the minutes that',
  'start in [--from, --to). Give --data-dir to read the usage database directly, or --admin to',
  'ask a running edge (its answer includes the current, not yet flushed, minute). "in" is from',
  'the client, "out" is to the client. See docs/metering.md.',
].join('\n')

/** The `wedge usage` command, shaped like the CLI's Command (src/cli/command.ts) for registration. */
export const usageCommand = {
  name: 'usage',
  summary: 'Print per-site usage: connection-minutes, messages, bytes, peaks, handshakes',
  details: DETAILS,
  options: OPTIONS,
  passThrough: (argv: string[]): Promise<number> => runUsageCommand(argv),
}

/** `wedge usage --site S --from … --to … --step … --format … (--data-dir D | --admin URL [--token T])`: resolves with the exit status. */
export async function runUsageCommand(argv: string[], io: UsageCommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseOptions(argv)
  } catch (error) {
    return usageError(io, (error as Error).message)
  }
  if (values['help']) {
    io.stdout.write(helpText())
    return OK
  }
  const format = (values['format'] as string | undefined) ?? 'table'
  if (!(FORMATS as readonly string[]).includes(format)) return usageError(io, `--format: expected table, csv or json, got ${JSON.stringify(format)}`)
  const dataDir = values['data-dir'] as string | undefined
  const admin = values['admin'] as string | undefined
  if ((dataDir === undefined) === (admin === undefined)) return usageError(io, 'give exactly one of --data-dir DIR (read the usage database) or --admin URL (ask a running edge)')
  let query: UsageQuery
  try {
    query = usageQuery({ site: values['site'] as string | undefined, from: values['from'] as string | undefined, to: values['to'] as string | undefined, step: values['step'] as string | undefined }, io.now ?? Date.now())
  } catch (error) {
    if (error instanceof UsageQueryError) return usageError(io, `--${error.message}`)
    throw error
  }
  const report = dataDir !== undefined ? readLocal(io, dataDir, query) : await readAdmin(io, admin!, (values['token'] as string | undefined) ?? (process.env['WEDGE_ADMIN_TOKEN'] || undefined), query)
  if (typeof report === 'number') return report
  io.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'csv' ? usageCsv(report) : usageTable(report))
  return OK
}

function readLocal(io: UsageCommandIo, dataDir: string, query: UsageQuery): UsageReport | number {
  const file = usageStorePath(dataDir)
  if (!existsSync(file)) {
    io.stderr.write(`wedge usage: ${file} does not exist (is ${dataDir} the edge's data_dir, and has it flushed a minute yet?)\n`)
    return FAILURE
  }
  let store
  try {
    store = openUsageStore(file, { mustExist: true })
  } catch (error) {
    io.stderr.write(`wedge usage: cannot open ${file}: ${(error as Error).message}\n`)
    return FAILURE
  }
  try {
    return usageReport(store, query)
  } finally {
    store.close()
  }
}

async function readAdmin(io: UsageCommandIo, admin: string, token: string | undefined, query: UsageQuery): Promise<UsageReport | number> {
  let url: URL
  try {
    url = new URL('api/usage', adminUrl(admin))
  } catch (error) {
    return usageError(io, `--admin: ${(error as Error).message}`)
  }
  url.search = new URLSearchParams({ ...(query.site === undefined ? {} : { site: query.site }), from: String(query.from), to: String(query.to), step: query.step }).toString()
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`
  let status: number
  let text: string
  try {
    const response = await request(url, { method: 'GET', headers, headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS })
    status = response.statusCode
    text = await response.body.text()
  } catch (error) {
    const cause = error as NodeJS.ErrnoException
    io.stderr.write(`wedge usage: cannot reach the admin API at ${url.origin}: ${[cause.code, cause.message].filter(Boolean).join(' ')}\n`)
    return FAILURE
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    io.stderr.write(`wedge usage: ${url.origin} answered HTTP ${status} without JSON (is this the admin address?)\n`)
    return FAILURE
  }
  if (status >= 400) {
    const error = (body as { error?: { code?: string; message?: string } }).error
    io.stderr.write(`wedge usage: ${error?.message ?? 'request failed'} (HTTP ${status}${error?.code ? ` ${error.code}` : ''})\n`)
    return FAILURE
  }
  return body as UsageReport
}

/**
 * Parses non-strict so that "--from -1h" is a value (strict parseArgs calls it ambiguous),
 * then checks each token so that every mistake names the option.
 */
function parseOptions(argv: string[]): Record<string, string | boolean | undefined> {
  const { tokens } = parseArgs({ args: argv, options: PARSE_OPTIONS, strict: false, allowPositionals: true, tokens: true })
  const values: Record<string, string | boolean | undefined> = {}
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue
    if (token.kind === 'positional') throw new Error(`unexpected argument ${JSON.stringify(token.value)}`)
    const spec = Object.hasOwn(PARSE_OPTIONS, token.name) ? PARSE_OPTIONS[token.name] : undefined
    if (!spec) throw new Error(`unknown option ${token.rawName}`)
    if (values[token.name] !== undefined) throw new Error(`option --${token.name} given twice`)
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new Error(`option --${token.name} takes no value`)
      values[token.name] = true
      continue
    }
    // A value may start with "-" only when it is a relative time ("--from -1h").
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && !/^-\d/.test(token.value))) {
      throw new Error(`option --${token.name} needs a value`)
    }
    values[token.name] = token.value
  }
  return values
}

function usageError(io: UsageCommandIo, message: string): number {
  io.stderr.write(`wedge usage: ${message}\nRun "wedge help usage" for usage.\n`)
  return USAGE
}

function helpText(): string {
  const labels = OPTIONS.map((o) => `${o.short === undefined ? '    ' : `-${o.short}, `}--${o.name} ${o.placeholder}`)
  const width = Math.max(...labels.map((label) => label.length)) + 2
  return [
    'Usage: wedge usage (--data-dir DIR | --admin URL [--token TOKEN]) [--site NAME] [--from TIME] [--to TIME] [--step minute|hour|day] [--format table|csv|json]',
    '',
    usageCommand.summary + '.',
    '',
    DETAILS,
    '',
    'Options:',
    ...OPTIONS.map((o, index) => `  ${labels[index]!.padEnd(width)}${o.description}`),
    `  ${'-h, --help'.padEnd(width)}Show this help.`,
    '',
    'Exit status: 0 success, 1 failure (no usage file, admin API unreachable or refusing), 2 usage error.',
    '',
  ].join('\n')
}
