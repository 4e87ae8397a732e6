import { ConfigError } from '../config/config-error.js'
import { loadConfigFile } from '../config/load.js'
import type { ResolvedConfig } from '../config/schema.js'
import type { Edge } from '../edge.js'
import type { Logger } from '../log/logger.js'
import { ExitCode } from './command.js'
import { describeSource, type ConfigChoice } from './config-source.js'
import { removePidfileSync } from './pidfile.js'

/**
 * Turns signals into edge operations: SIGHUP reloads the config file, SIGTERM/SIGINT drain
 * and stop. Handlers are installed on construction, before the edge starts, so that a
 * signal during start-up is not lost (or fatal): it is acted on once start-up is done.
 */
export class Supervisor {
  readonly #edge: Edge
  readonly #choice: ConfigChoice
  readonly #logger: Logger
  readonly #pidfile: string
  #config: ResolvedConfig
  #stopping = false
  #markStarted!: () => void
  readonly #started = new Promise<void>((resolve) => { this.#markStarted = resolve })
  // Reloads run one at a time, in the order the signals came.
  #reloads: Promise<void> = this.#started
  #finish!: (code: number) => void
  /** Resolves with the exit status once the edge has stopped. */
  readonly done = new Promise<number>((resolve) => { this.#finish = resolve })

  constructor(edge: Edge, options: { choice: ConfigChoice; logger: Logger; config: ResolvedConfig; pidfile: string }) {
    this.#edge = edge
    this.#choice = options.choice
    this.#logger = options.logger
    this.#config = options.config
    this.#pidfile = options.pidfile
    process.on('SIGHUP', this.#onHangup)
    process.on('SIGTERM', this.#onStop)
    process.on('SIGINT', this.#onStop)
  }

  /** The edge is listening: queued signals may act now. */
  started(): void {
    this.#markStarted()
  }

  /** Removes the signal handlers (after stop, or when start-up failed). */
  detach(): void {
    process.off('SIGHUP', this.#onHangup)
    process.off('SIGTERM', this.#onStop)
    process.off('SIGINT', this.#onStop)
  }

  readonly #onHangup = (): void => {
    this.#reloads = this.#reloads.then(() => this.#reload())
  }

  readonly #onStop = (signal: NodeJS.Signals): void => {
    if (this.#stopping) {
      this.#logger.warn({ signal }, 'second stop signal: exiting without waiting for connections to drain')
      removePidfileSync(this.#pidfile)
      process.exit(ExitCode.FAILURE)
    }
    this.#stopping = true
    void this.#started.then(() => this.#stop(signal))
  }

  async #stop(signal: NodeJS.Signals): Promise<void> {
    const drainMs = this.#config.server.drain_timeout
    this.#logger.info({ signal, drain_timeout_ms: drainMs }, 'stop signal received')
    let code: number = ExitCode.OK
    try {
      await this.#edge.stop(drainMs)
    } catch (error) {
      this.#logger.error({ err: error }, 'stop failed')
      code = ExitCode.FAILURE
    }
    this.detach()
    this.#finish(code)
  }

  async #reload(): Promise<void> {
    if (this.#stopping) return
    const file = this.#choice.file
    if (file === undefined) {
      this.#logger.warn('SIGHUP: running the built-in default config, there is no config file to reload')
      return
    }
    this.#logger.info({ config: describeSource(this.#choice) }, 'SIGHUP: reloading the config file')
    try {
      const next = await loadConfigFile(file, { listen: this.#choice.listen })
      if (this.#stopping) return
      await this.#edge.reload(next)
      this.#config = next
      this.#logger.level = next.log.level
    } catch (error) {
      const reason = error instanceof ConfigError ? { issues: error.issues } : { err: error }
      this.#logger.error(reason, `reload refused, still running the previous config: ${(error as Error).message}`)
    }
  }
}
