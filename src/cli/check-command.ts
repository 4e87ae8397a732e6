import { ConfigError } from '../config/config-error.js'
import { loadConfigFile } from '../config/load.js'
import type { ResolvedConfig } from '../config/schema.js'
import { formatListen } from '../config/units.js'
import { ExitCode, type Command } from './command.js'

export const checkCommand: Command = {
  name: 'check',
  summary: 'Validate a config file without starting anything',
  details: [
    'Reads the file as `wedge start` would: YAML or JSON, ${NAME} interpolated from the environment,',
    'relative paths resolved against the file\'s directory, TLS certificate and key files read and',
    'matched. Prints a summary and exits 0, or prints every problem (key path, line, value, what was',
    'expected; values from the environment are never printed) and exits 2.',
  ].join('\n'),
  options: [
    { name: 'config', short: 'c', type: 'string', placeholder: 'FILE', required: true, description: 'The config file to check.' },
  ],
  async run(values) {
    const file = values['config'] as string
    try {
      const config = await loadConfigFile(file)
      process.stdout.write(`config OK: ${summarize(config)}\n`)
      return ExitCode.OK
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      process.stderr.write(`${error.message}\n`)
      return ExitCode.USAGE
    }
  },
}

/** "2 sites (api, chat), listeners 127.0.0.1:8080, 0.0.0.0:8443 (tls), admin 127.0.0.1:9090" */
export function summarize(config: ResolvedConfig): string {
  const sites = `${config.sites.length} site${config.sites.length === 1 ? '' : 's'} (${config.sites.map((site) => site.name).join(', ')})`
  const listeners = config.listeners.map((listener) => `${formatListen(listener.address)}${listener.tls ? ' (tls)' : ''}`)
  const admin = config.admin ? `, admin ${formatListen(config.admin.listen)}` : ''
  return `${sites}, listener${listeners.length === 1 ? '' : 's'} ${listeners.join(', ')}${admin}`
}
