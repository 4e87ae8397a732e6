import { ConfigError } from '../config/config-error.js'
import { ExitCode, type Command } from './command.js'
import { describeSource, loadChosenConfig } from './config-source.js'
import { isRunning, pidfilePath, readPid } from './pidfile.js'

export const reloadCommand: Command = {
  name: 'reload',
  summary: 'Validate the config, then tell the running edge to reload it (SIGHUP)',
  details: [
    'Validates the config file first and exits 2 without signalling anything if it is invalid.',
    'Then reads the pid from <data_dir>/wedge.pid (data_dir from that config) and sends SIGHUP.',
    'The running edge reloads the file it was started with: give the same --config. New',
    'connections use the new config; open connections keep going. Listener changes need a restart.',
    'Exits 1 when no edge is running for that data_dir.',
  ].join('\n'),
  options: [
    { name: 'config', short: 'c', type: 'string', placeholder: 'FILE', description: 'The config file the edge runs (default: the built-in config, data_dir ./.wedge).' },
  ],
  async run(values) {
    const choice = { file: values['config'] as string | undefined }
    let dataDir: string
    try {
      dataDir = (await loadChosenConfig(choice)).data_dir
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      process.stderr.write(`${error.message}\nnothing was reloaded\n`)
      return ExitCode.USAGE
    }
    const file = pidfilePath(dataDir)
    const pid = await readPid(file)
    if (pid === undefined) {
      process.stderr.write(`wedge reload: no running edge found: ${file} does not exist (is "wedge start" running with ${describeSource(choice)}?)\n`)
      return ExitCode.FAILURE
    }
    if (!isRunning(pid)) {
      process.stderr.write(`wedge reload: no running edge: pid ${pid} from ${file} is not running (stale pidfile)\n`)
      return ExitCode.FAILURE
    }
    process.kill(pid, 'SIGHUP')
    process.stdout.write(`config OK; sent SIGHUP to the edge (pid ${pid}), which reloads its config file\n`)
    return ExitCode.OK
  },
}
