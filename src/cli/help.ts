import { VERSION } from '../version.js'
import { HELP_OPTION, type Command, type OptionSpec } from './command.js'

const EXIT_STATUSES = 'Exit status: 0 success, 1 failure (cannot bind, no running edge, …), 2 usage error or invalid config.'

/** `wedge --help`: every command with its one-line summary. */
export function generalHelp(commands: readonly Command[]): string {
  const rows = [...commands.map((command) => [command.name, command.summary] as const), ['help [COMMAND]', 'Show help for wedge or one command'] as const]
  const width = Math.max(...rows.map(([name]) => name.length)) + 2
  return [
    `wedge ${VERSION}: a self-hostable CDN edge for WebSockets`,
    '',
    'Usage: wedge COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...rows.map(([name, summary]) => `  ${name.padEnd(width)}${summary}`),
    '',
    'Options:',
    `  ${'-h, --help'.padEnd(width)}Show this help`,
    `  ${'--version'.padEnd(width)}Print the version`,
    '',
    EXIT_STATUSES,
    'Run "wedge help COMMAND" for the options of one command.',
    'Config reference: docs/configuration.md',
    '',
  ].join('\n')
}

/** `wedge help start`: usage line, details, every option. */
export function commandHelp(command: Command): string {
  const options = [...command.options, HELP_OPTION]
  const labels = options.map(optionLabel)
  const width = Math.max(...labels.map((label) => label.length)) + 2
  const usage = command.passThrough
    ? `wedge ${command.name} ...`
    : ['wedge', command.name, ...command.options.map(usageWord)].join(' ')
  return [
    `Usage: ${usage}`,
    '',
    command.summary + '.',
    '',
    command.details,
    '',
    ...(command.passThrough ? [] : ['Options:', ...options.map((option, index) => `  ${labels[index]!.padEnd(width)}${option.description}`), '']),
    EXIT_STATUSES,
    '',
  ].join('\n')
}

function optionLabel(option: OptionSpec): string {
  const long = `--${option.name}${option.type === 'string' ? ` ${option.placeholder ?? 'VALUE'}` : ''}`
  return option.short ? `-${option.short}, ${long}` : `    ${long}`
}

function usageWord(option: OptionSpec): string {
  const word = `--${option.name}${option.type === 'string' ? ` ${option.placeholder ?? 'VALUE'}` : ''}`
  return option.required ? word : `[${word}]`
}
