import { writeFile } from 'node:fs/promises'
import { parseOriginArgs, parseProbeArgs, ORIGIN_USAGE, PROBE_USAGE } from './args.js'
import { CompareInputError, formatComparison, loadResult } from './compare.js'
import { startProbeOrigin } from './origin/server.js'
import { ProgressDisplay } from './progress.js'
import { formatReport } from './report.js'
import { ProbeUsageError, runProbe } from './runner.js'

function usageError(error: unknown, usage: string): number {
  if (error instanceof ProbeUsageError || error instanceof CompareInputError) {
    process.stderr.write(`wedge probe: ${error.message}\n\n${usage}\n`)
    return 2
  }
  throw error
}

async function compare(files: string[]): Promise<number> {
  const results = await Promise.all(files.map(loadResult))
  process.stdout.write(`${formatComparison(results, files)}\n`)
  return 0
}

/**
 * `wedge probe URL …` or `wedge probe --compare FILE…` (argv excludes "probe").
 * Returns the exit status: 0 required checks passed, 1 a required check failed, 2 usage error.
 */
export async function runProbeCli(argv: string[]): Promise<number> {
  try {
    const command = parseProbeArgs(argv)
    if (command.kind === 'help') {
      process.stdout.write(`${PROBE_USAGE}\n`)
      return 0
    }
    if (command.kind === 'compare') return await compare(command.files)
    const display = command.quiet ? undefined : new ProgressDisplay(process.stderr)
    let result
    try {
      result = await runProbe(command.url, { ...command.options, onProgress: display?.onProgress })
    } finally {
      display?.stop()
    }
    const json = `${JSON.stringify(result, null, 2)}\n`
    if (command.json === '-') process.stdout.write(json)
    else process.stdout.write(`${formatReport(result, process.stdout.isTTY ? process.stdout.columns : undefined)}\n`)
    if (command.json && command.json !== '-') {
      // Written after the table so a bad path does not cost the run's results.
      await writeFile(command.json, json).catch((error: Error) => {
        throw new ProbeUsageError(`--json: cannot write ${command.json}: ${error.message}`)
      })
    }
    return result.ok ? 0 : 1
  } catch (error) {
    return usageError(error, PROBE_USAGE)
  }
}

/** `wedge probe-origin [--listen HOST:PORT] [--protocols a,b]`: serves until SIGINT or SIGTERM, then returns 0. */
export async function runProbeOriginCli(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseOriginArgs(argv)
  } catch (error) {
    return usageError(error, ORIGIN_USAGE)
  }
  if (parsed.help) {
    process.stdout.write(`${ORIGIN_USAGE}\n`)
    return 0
  }
  let origin
  try {
    origin = await startProbeOrigin({ host: parsed.listen.host, port: parsed.listen.port, protocols: parsed.protocols })
  } catch (error) {
    process.stderr.write(`wedge probe-origin: cannot listen on ${parsed.listen.host}:${parsed.listen.port}: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
  process.stdout.write(`wedge probe-origin listening on ${origin.url} (endpoints /echo /info /tick /close /silent /big /report, HTTP /healthz)\n`)
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await origin.close()
  return 0
}
