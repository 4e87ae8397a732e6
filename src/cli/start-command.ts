import { ConfigError } from '../config/config-error.js'
import type { ResolvedConfig } from '../config/schema.js'
import { createLogger } from '../log/logger.js'
import { VERSION } from '../version.js'
import { ExitCode, type Command } from './command.js'
import { describeSource, loadChosenConfig, type ConfigChoice } from './config-source.js'
import { pidfilePath, removePidfile, writePidfile } from './pidfile.js'
import { Supervisor } from './supervisor.js'

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the edge in the foreground',
  details: [
    'Without --config, runs the built-in config: 127.0.0.1:8080 serving a welcome page at / and a',
    'WebSocket echo at /echo. Writes its pid to <data_dir>/wedge.pid. Logs are JSON lines when',
    'stdout is not a terminal (log.format in the config).',
    '',
    'Signals:',
    '  SIGHUP           Reload the config file. New connections use the new config, open ones keep',
    '                   going. An invalid new config is logged and the old one keeps running.',
    '  SIGTERM, SIGINT  Stop accepting, let open connections finish for server.drain_timeout,',
    '                   close the rest with 1001, exit 0. A second signal exits at once (status 1).',
  ].join('\n'),
  options: [
    { name: 'config', short: 'c', type: 'string', placeholder: 'FILE', description: 'Config file, YAML or JSON (default: the built-in config).' },
    { name: 'listen', short: 'l', type: 'string', placeholder: 'HOST:PORT', description: 'Listen here instead of the config\'s listeners (plain, no TLS). Port 0 picks a free port.' },
  ],
  run: (values) => runStart({ file: values['config'] as string | undefined, listen: values['listen'] as string | undefined }),
}

async function runStart(choice: ConfigChoice): Promise<number> {
  let config: ResolvedConfig
  try {
    config = await loadChosenConfig(choice)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    return ExitCode.USAGE
  }
  const logger = createLogger(config.log)
  const pidfile = pidfilePath(config.data_dir)
  try {
    await writePidfile(pidfile)
  } catch (error) {
    logger.error(`cannot start: ${(error as Error).message}`)
    return ExitCode.FAILURE
  }
  // Loaded here, not at the top: `wedge check` and `wedge --help` never load the data path.
  const { createEdge } = await import('../edge.js')
  const edge = createEdge(config, { logger })
  const supervisor = new Supervisor(edge, { choice, logger, config, pidfile })
  try {
    await edge.start()
  } catch (error) {
    supervisor.detach()
    logger.error({ err: error }, `cannot start: ${(error as Error).message}`)
    await edge.stop(0).catch(() => undefined)
    await removePidfile(pidfile)
    return ExitCode.FAILURE
  }
  logger.info({ version: VERSION, config: describeSource(choice), pidfile }, 'started')
  supervisor.started()
  const code = await supervisor.done
  await removePidfile(pidfile)
  return code
}
