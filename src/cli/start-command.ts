import { ConfigError } from '../config/config-error.js'
import { loadConfigFile } from '../config/load.js'
import type { ResolvedConfig } from '../config/schema.js'
import type { Edge } from '../edge.js'
import { createLogger, type Logger } from '../log/logger.js'
import { VERSION } from '../version.js'
import { ExitCode, type Command } from './command.js'
import { describeSource, loadChosenConfig, type ConfigChoice } from './config-source.js'
import { pidfilePath, removePidfile, removePidfileSync, writePidfile } from './pidfile.js'

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
  try {
    await edge.start()
  } catch (error) {
    logger.error({ err: error }, `cannot start: ${(error as Error).message}`)
    await edge.stop(0).catch(() => undefined)
    await removePidfile(pidfile)
    return ExitCode.FAILURE
  }
  logger.info({ version: VERSION, config: describeSource(choice), pidfile }, 'started')
  const code = await serveUntilStopped(edge, choice, logger, config, pidfile)
  await removePidfile(pidfile)
  return code
}

/** Reloads on SIGHUP, drains and stops on SIGTERM/SIGINT; resolves with the exit status. */
function serveUntilStopped(edge: Edge, choice: ConfigChoice, logger: Logger, initial: ResolvedConfig, pidfile: string): Promise<number> {
  let current = initial
  let stopping = false
  // Reloads run one at a time, in the order the signals came.
  let reloads = Promise.resolve()

  const reload = async (): Promise<void> => {
    if (stopping) return
    if (choice.file === undefined) {
      logger.warn('SIGHUP: running the built-in default config, there is no config file to reload')
      return
    }
    logger.info({ config: describeSource(choice) }, 'SIGHUP: reloading the config file')
    try {
      const next = await loadConfigFile(choice.file, { listen: choice.listen })
      if (stopping) return
      await edge.reload(next)
      current = next
      logger.level = next.log.level
    } catch (error) {
      const reason = error instanceof ConfigError ? { issues: error.issues } : { err: error }
      logger.error(reason, `reload refused, still running the previous config: ${(error as Error).message}`)
    }
  }

  return new Promise((resolve) => {
    const onHangup = (): void => {
      reloads = reloads.then(reload)
    }
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second stop signal: exiting without waiting for connections to drain')
        removePidfileSync(pidfile)
        process.exit(ExitCode.FAILURE)
      }
      stopping = true
      logger.info({ signal, drain_timeout_ms: current.server.drain_timeout }, 'stop signal received')
      edge.stop(current.server.drain_timeout).then(
        () => ExitCode.OK,
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed')
          return ExitCode.FAILURE
        },
      ).then((code) => {
        process.off('SIGHUP', onHangup)
        process.off('SIGTERM', onStop)
        process.off('SIGINT', onStop)
        resolve(code)
      })
    }
    process.on('SIGHUP', onHangup)
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
  })
}
