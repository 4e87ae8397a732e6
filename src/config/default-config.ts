import type { ConfigInput, ResolvedConfig } from './schema.js'
import { ConfigError } from './config-error.js'
import { blameListenOption } from './load.js'
import { resolveConfig } from './resolve.js'

/**
 * The config `wedge start` runs without --config: one plain listener on 127.0.0.1:8080 and
 * the builtin welcome site (a page at / and a WebSocket echo at /echo) for every host.
 */
export function defaultConfigInput(): ConfigInput {
  return {
    listen: '127.0.0.1:8080',
    sites: [{ name: 'welcome', hosts: ['*'], builtin: 'welcome' }],
  }
}

/** The default config resolved; `listen` replaces its listener (the CLI's --listen). data_dir is under the working directory. */
export function defaultConfig(options: { listen?: string | undefined } = {}): ResolvedConfig {
  const input = defaultConfigInput()
  if (options.listen === undefined) return resolveConfig(input, { baseDir: process.cwd() })
  input.listen = options.listen
  try {
    return resolveConfig(input, { baseDir: process.cwd() })
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues.map(blameListenOption))
    throw error
  }
}
