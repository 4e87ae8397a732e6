import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConfig } from '../../src/config/resolve.js'

/**
 * Child-process entry: `node wedge-server.js <origin-url> [data-dir]` starts a Wedge edge on
 * 127.0.0.1:0 proxying every host to the origin, then prints `{"port":N,"noScan":bool}`.
 * The no-scan variant is the same process with WEDGE_BENCH_NO_SCAN=1 in its environment,
 * passed to the edge as `createEdge(config, { noScan: true })` (relay without frame scanning).
 *
 * `src/edge.ts` is imported by a computed specifier so this file compiles before the edge
 * exists; the orchestrator only starts it once dist/src/edge.js is there.
 */

interface Edge {
  start(): Promise<unknown> | unknown
  stop(drainMs?: number): Promise<unknown> | unknown
  addresses(): unknown
}

interface EdgeModule {
  createEdge(config: unknown, options?: { noScan?: boolean; metering?: boolean }): Edge
}

const STOP_TIMEOUT_MS = 3000

/** Finds the first TCP port in whatever shape `addresses()` returns (objects, arrays, "host:port"). */
function findPort(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const match = /:(\d+)$/.exec(value)
    return match ? Number(match[1]) : undefined
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const port = findPort(item)
      if (port !== undefined) return port
    }
    return undefined
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (typeof record.port === 'number' && record.port > 0) return record.port
    return findPort(Object.values(record))
  }
  return undefined
}

async function main(): Promise<void> {
  const origin = process.argv[2]
  if (origin === undefined) throw new Error('usage: wedge-server.js <origin-url> [data-dir]')
  // The orchestrator passes a folder inside its own temporary directory, which it removes.
  const dataDir = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'wedge-bench-data-'))
  const config = resolveConfig({
    listen: '127.0.0.1:0',
    data_dir: dataDir,
    // warn, like the nginx error_log and no access log: per-connection logs are not measured.
    log: { level: 'warn', format: 'json' },
    sites: [{ name: 'bench', origins: [origin] }],
  })
  const specifier = new URL('../../src/edge.js', import.meta.url).href
  const { createEdge } = await import(specifier) as EdgeModule
  const noScan = process.env.WEDGE_BENCH_NO_SCAN === '1'
  const metering = process.env.WEDGE_BENCH_NO_METER !== '1'
  const edge = createEdge(config, { noScan, metering })
  await edge.start()
  const port = findPort(edge.addresses())
  if (port === undefined) throw new Error(`no port in edge.addresses(): ${JSON.stringify(edge.addresses())}`)
  process.stdout.write(`${JSON.stringify({ port, noScan })}\n`)

  const quit = (): void => {
    setTimeout(() => process.exit(0), STOP_TIMEOUT_MS).unref()
    void Promise.resolve(edge.stop(0)).finally(() => process.exit(0))
  }
  process.on('SIGTERM', quit)
  process.stdin.on('end', quit).on('error', quit).resume()
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`)
  process.exit(1)
})
