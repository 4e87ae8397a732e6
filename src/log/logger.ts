import pino, { type Logger } from 'pino'

export type { Logger }

export interface LoggerOptions {
  level: string
  /** "auto" prints readable lines on a terminal and JSON otherwise. */
  format: 'auto' | 'json' | 'pretty'
}

/**
 * Structured JSON logs (pino). On a terminal, lines are made readable by pino-pretty in a
 * worker thread so formatting never runs on the data path.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true)
  if (pretty) {
    return pino({
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    })
  }
  return pino({ level: options.level, base: { pid: process.pid } })
}
