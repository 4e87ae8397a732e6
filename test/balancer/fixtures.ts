import { siteSchema, type SiteConfig } from '../../src/config/schema.js'

/** A site config as the schema resolves it, from the YAML-level fields given. */
export function siteWith(fields: Record<string, unknown>): SiteConfig {
  return siteSchema.parse({ name: 'test', ...fields })
}

export interface LogEntry {
  level: 'info' | 'warn'
  fields: object
  message?: string
}

/** A logger that keeps what it is told, for asserting on state-transition logs. */
export function recordingLogger(): { logger: { info(fields: object, message?: string): void; warn(fields: object, message?: string): void }; entries: LogEntry[] } {
  const entries: LogEntry[] = []
  return {
    entries,
    logger: {
      info: (fields, message) => { entries.push({ level: 'info', fields, message }) },
      warn: (fields, message) => { entries.push({ level: 'warn', fields, message }) },
    },
  }
}

/** Polls `condition` every 10 ms until it holds or `timeout` ms pass. */
export async function waitFor(condition: () => boolean, timeout = 3000): Promise<boolean> {
  const deadline = Date.now() + timeout
  while (Date.now() < deadline) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return condition()
}
