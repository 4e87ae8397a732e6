import { ExitCode, type Command } from './command.js'

type ProbeModule = typeof import('../probe/cli.js')

/** Loads the probe on demand: `wedge start` never pays for it, and a broken probe cannot break start. */
async function runFromProbe(command: string, pick: (module: ProbeModule) => (argv: string[]) => Promise<number>, argv: string[]): Promise<number> {
  let entry: (argv: string[]) => Promise<number>
  try {
    entry = pick(await import('../probe/cli.js'))
    if (typeof entry !== 'function') throw new Error('its entry point is missing')
  } catch (error) {
    process.stderr.write(`wedge ${command}: the probe module could not be loaded: ${error instanceof Error ? error.message : String(error)}\n`)
    return ExitCode.FAILURE
  }
  return entry(argv)
}

export const probeCommand: Command = {
  name: 'probe',
  summary: 'Test a WebSocket path end to end (through an edge, a CDN or directly) and report',
  details: 'Options are parsed by the probe itself: run "wedge probe --help" for them.',
  options: [],
  passThrough: (argv) => runFromProbe('probe', (module) => module.runProbeCli, argv),
}

export const probeOriginCommand: Command = {
  name: 'probe-origin',
  summary: 'Run the reference WebSocket origin that "wedge probe" talks to',
  details: 'Options are parsed by the probe itself: run "wedge probe-origin --help" for them.',
  options: [],
  passThrough: (argv) => runFromProbe('probe-origin', (module) => module.runProbeOriginCli, argv),
}
