import type { Logger } from 'pino'
import type { ObjectAddress, RunnerToGateway } from './runner-protocol.js'
import type { EventDone } from './runner-process.js'
import type { RuntimeCounters } from './runtime-counters.js'
import { objectFields } from './socket-io.js'

const LEVELS = new Set(['debug', 'info', 'warn', 'error'])
const MAX_APP_LOG_CHARS = 16_384

/** An event that ended with an uncaught error or a limit kill (warn; kills are counted). */
export function logEventOutcome(logger: Logger, counters: RuntimeCounters, site: string, entry: EventDone, what: string, object: ObjectAddress | undefined): void {
  if (entry.limit !== undefined) {
    counters.limitKills++
    logger.warn({ site, event: what, limit: entry.limit, cpu_ms: entry.cpuMs, ...objectFields(object) }, `app killed: ${entry.limit} limit exceeded`)
  } else {
    logger.warn({ site, event: what, ...objectFields(object), error: entry.error }, `app ${what} handler failed`)
  }
}

/** A console.* line of the app, as an `app_log` line tagged with site, app and object. */
export function logAppLine(logger: Logger, site: string, entry: Extract<RunnerToGateway, { type: 'log' }>): void {
  const level = LEVELS.has(entry.level) ? entry.level : 'info'
  logger[level]({ event: 'app_log', site, app: entry.appId, ...objectFields(entry.object) }, String(entry.message).slice(0, MAX_APP_LOG_CHARS))
}
