import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { resolveConfig } from '../../src/config/resolve.js'
import { createEdge } from '../../src/edge.js'
import type { BenchApp } from './app-sources.js'

/**
 * Child-process entry: `node wedge-app-server.js '<json>'` with `{ app: BenchApp,
 * hibernateAfter: string }` starts a Wedge edge on 127.0.0.1:0 whose only site runs the
 * app (one runner, no spare: the spare would only add an idle process to the measured
 * group), then prints `{"port":N}`. Commands on stdin, one per line, answered on stdout:
 * `stats` → `{"stats":{version,liveObjects,sockets,runners}}`.
 */

interface ServerArgs {
  app: BenchApp
  hibernateAfter: string
}

const STOP_TIMEOUT_MS = 3000

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as ServerArgs
  const dir = mkdtempSync(join(tmpdir(), 'wedge-bench-app-'))
  const main = join(dir, args.app.file)
  writeFileSync(main, args.app.code)
  const config = resolveConfig({
    listen: '127.0.0.1:0',
    data_dir: join(dir, 'data'),
    // warn: per-connection info lines are not what is measured (as in bench:proxy).
    log: { level: 'warn', format: 'json' },
    runtime: { runners: 1, spare: false },
    sites: [{
      name: 'bench',
      app: {
        main,
        durable_objects: args.app.objects.map((o) => ({ name: o.binding, class_name: o.className })),
        hibernate_after: args.hibernateAfter,
      },
    }],
  })
  const edge = createEdge(config)
  const addresses = await edge.start()
  const print = (value: unknown): void => { process.stdout.write(`${JSON.stringify(value)}\n`) }
  print({ port: addresses.listeners[0]!.port })

  let quitting = false
  const quit = (): void => {
    if (quitting) return
    quitting = true
    setTimeout(() => process.exit(0), STOP_TIMEOUT_MS).unref()
    void Promise.resolve(edge.stop(0)).finally(() => {
      rmSync(dir, { recursive: true, force: true })
      process.exit(0)
    })
  }
  process.on('SIGTERM', quit)
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (line.trim() !== 'stats') return
    const host = edge.apps.host('bench')
    print({ stats: { ...host?.stats(), runners: edge.apps.runners().map((runner) => runner.pid) } })
  })
  lines.on('close', quit)
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`)
  process.exit(1)
})
