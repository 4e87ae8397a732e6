import { parseArgs } from 'node:util'
import { parseDuration, parseListen, parseSize, type ListenAddress } from '../config/units.js'
import { ProbeUsageError } from './runner.js'
import type { ProbeOptions } from './types.js'

export const PROBE_USAGE = `usage: wedge probe ws[s]://host/path [options]
       wedge probe --compare a.json b.json …

Tests a WebSocket path (pointing at \`wedge probe-origin\`, usually through a proxy or CDN).

  --budget DURATION     how long the idle-timeout search may hold a connection (default 10m)
  --only a,b            run only these checks
  --skip a,b            run all but these checks
  --required a,b        checks whose failure exits 1 (default handshake,echo,close,subprotocol,ping)
  --concurrency N       connections the concurrency check opens at once (default 100)
  --max-size SIZE       largest echoed / downloaded message (default 16MiB)
  --min-idle DURATION   idle timeouts shorter than this fail the idle check (default 30s)
  --timeout DURATION    time limit per check (default 60s)
  --header 'Name: v'    extra handshake header (repeatable)
  --insecure            accept any TLS certificate
  --json FILE           also write the result as JSON (- : JSON on stdout instead of the table)
  --quiet               no progress on stderr
  --compare FILES…      print saved results side by side

checks: handshake subprotocol deflate echo fragments ping close headers push big idle
        latency throughput concurrency reconnect
exit status: 0 required checks passed, 1 a required check failed, 2 usage error`

export const ORIGIN_USAGE = `usage: wedge probe-origin [--listen 127.0.0.1:9200] [--protocols a,b]

Reference WebSocket origin for \`wedge probe\`: /echo /info /tick /close /silent /big /report, HTTP /healthz.
  --listen HOST:PORT    address to listen on (default 127.0.0.1:9200)
  --protocols a,b       subprotocols to accept (default: the first one offered)`

export type ProbeCommand =
  | { kind: 'help' }
  | { kind: 'compare'; files: string[] }
  | { kind: 'probe'; url: string; options: ProbeOptions; json: string | undefined; quiet: boolean }

const list = (values: string[] | undefined): string[] | undefined =>
  values?.flatMap((value) => value.split(',')).map((item) => item.trim()).filter(Boolean)

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDuration(value)
  if (!Number.isFinite(ms)) throw new ProbeUsageError(`${flag}: expected a duration such as 5s, 10m or 500ms, got ${JSON.stringify(value)}`)
  return ms
}

function headers(values: string[] | undefined): Record<string, string> | undefined {
  if (!values) return undefined
  const entries = values.map((value) => {
    const colon = value.indexOf(':')
    if (colon < 1) throw new ProbeUsageError(`--header: expected 'Name: value', got ${JSON.stringify(value)}`)
    return [value.slice(0, colon).trim(), value.slice(colon + 1).trim()] as const
  })
  return Object.fromEntries(entries)
}

function parse<T>(run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof ProbeUsageError) throw error
    throw new ProbeUsageError(error instanceof Error ? error.message : String(error))
  }
}

export function parseProbeArgs(argv: string[]): ProbeCommand {
  const { values, positionals } = parse(() => parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      budget: { type: 'string' }, json: { type: 'string' }, only: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true }, required: { type: 'string', multiple: true },
      concurrency: { type: 'string' }, 'max-size': { type: 'string' }, 'min-idle': { type: 'string' },
      timeout: { type: 'string' }, header: { type: 'string', multiple: true }, insecure: { type: 'boolean' },
      quiet: { type: 'boolean' }, compare: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }))
  if (values.help) return { kind: 'help' }
  if (values.compare) {
    if (positionals.length < 1) throw new ProbeUsageError('--compare needs at least one result file')
    return { kind: 'compare', files: positionals }
  }
  if (positionals.length !== 1) throw new ProbeUsageError(positionals.length ? `expected one URL, got ${positionals.length}` : 'missing the ws:// or wss:// URL to probe')
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency)
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) throw new ProbeUsageError(`--concurrency: expected a positive integer, got ${JSON.stringify(values.concurrency)}`)
  const maxSize = values['max-size'] === undefined ? undefined : parseSize(values['max-size'])
  if (maxSize !== undefined && !Number.isFinite(maxSize)) throw new ProbeUsageError(`--max-size: expected a size such as 64KiB or 16MiB, got ${JSON.stringify(values['max-size'])}`)
  const options: ProbeOptions = {
    budgetMs: duration('--budget', values.budget),
    minIdleMs: duration('--min-idle', values['min-idle']),
    checkTimeoutMs: duration('--timeout', values.timeout),
    concurrency, maxSize,
    only: list(values.only), skip: list(values.skip), required: list(values.required),
    headers: headers(values.header), insecure: values.insecure,
  }
  for (const key of Object.keys(options) as (keyof ProbeOptions)[]) if (options[key] === undefined) delete options[key]
  return { kind: 'probe', url: positionals[0]!, options, json: values.json, quiet: values.quiet ?? false }
}

export function parseOriginArgs(argv: string[]): { help: true } | { help: false; listen: ListenAddress; protocols: string[] | undefined } {
  const { values } = parse(() => parseArgs({
    args: argv,
    options: { listen: { type: 'string' }, protocols: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }))
  if (values.help) return { help: true }
  const listen = parseListen(values.listen ?? '127.0.0.1:9200')
  if (!listen) throw new ProbeUsageError(`--listen: expected HOST:PORT, got ${JSON.stringify(values.listen)}`)
  return { help: false, listen, protocols: list(values.protocols ? [values.protocols] : undefined) }
}
