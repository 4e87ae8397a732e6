import path from 'node:path'
import { defaultConfig } from '../config/default-config.js'
import { loadConfigFile } from '../config/load.js'
import type { ResolvedConfig } from '../config/schema.js'

export interface ConfigChoice {
  /** The --config file; without it, the embedded default config. */
  file?: string | undefined
  /** --listen: replaces every listener with this plain address. */
  listen?: string | undefined
}

/** The config a command runs with: the file given, or the built-in default. Throws ConfigError. */
export async function loadChosenConfig(choice: ConfigChoice): Promise<ResolvedConfig> {
  if (choice.file !== undefined) return loadConfigFile(choice.file, { listen: choice.listen })
  return defaultConfig({ listen: choice.listen })
}

export function describeSource(choice: ConfigChoice): string {
  return choice.file === undefined ? '(built-in default config)' : path.resolve(choice.file)
}
