import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ConfigInput, ResolvedConfig } from './schema.js'
import { ConfigError } from './config-error.js'
import { blameListenOption } from './load.js'
import { resolveConfig } from './resolve.js'

/** The installed package's root (this file is dist/src/config/default-config.js). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The chat example the default config runs, relative to the package root. */
export const DEFAULT_CHAT_APP = 'examples/chat/wrangler.toml'

/**
 * The config `wedge start` runs without --config: one plain listener on 127.0.0.1:8080, the
 * builtin welcome site for every host (a page at / saying what Wedge is and how to configure
 * it, a WebSocket echo at /echo) and the chat example as an origin-less app at /chat/.
 *
 * `packageRoot` makes the chat app's path absolute; without it the path stays relative to the
 * package (as the configuration docs print it). The chat site is left out when the package
 * has no examples/ folder.
 */
export function defaultConfigInput(packageRoot?: string): ConfigInput {
  const chatApp = packageRoot === undefined ? DEFAULT_CHAT_APP : path.join(packageRoot, DEFAULT_CHAT_APP)
  const withChat = packageRoot === undefined || existsSync(chatApp)
  return {
    listen: '127.0.0.1:8080',
    // One runner process is plenty for a demo; no idle spare.
    ...(withChat ? { runtime: { runners: 1, spare: false } } : {}),
    sites: [
      { name: 'welcome', hosts: ['*'], builtin: 'welcome' },
      ...(withChat ? [{ name: 'chat', hosts: ['*'], path_prefix: '/chat', app: { wrangler: chatApp } }] : []),
    ],
  }
}

/** The default config resolved; `listen` replaces its listener (the CLI's --listen). data_dir is under the working directory. */
export function defaultConfig(options: { listen?: string | undefined } = {}): ResolvedConfig {
  const input = defaultConfigInput(PACKAGE_ROOT)
  if (options.listen === undefined) return resolveConfig(input, { baseDir: process.cwd() })
  input.listen = options.listen
  try {
    return resolveConfig(input, { baseDir: process.cwd() })
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.issues.map(blameListenOption))
    throw error
  }
}
