import { parseArgs } from 'node:util'
import { didYouMean } from '../config/did-you-mean.js'

/** Exit statuses of the `wedge` command; only the CLI decides them. */
export const ExitCode = {
  OK: 0,
  /** The command ran and failed (cannot bind, no running edge, …). */
  FAILURE: 1,
  /** Bad command line or invalid config: nothing was done. */
  USAGE: 2,
} as const

export interface OptionSpec {
  name: string
  short?: string
  type: 'string' | 'boolean'
  /** Placeholder shown in help for a string option: "FILE", "HOST:PORT". */
  placeholder?: string
  /** The command cannot run without it (shown without brackets in the usage line). */
  required?: boolean
  description: string
}

export type OptionValues = Record<string, string | boolean | undefined>

/** One `wedge` subcommand: its help text is generated from this, and its options parsed by it. */
export interface Command {
  name: string
  summary: string
  /** Paragraphs after the usage line in `wedge help NAME`. */
  details: string
  options: readonly OptionSpec[]
  /** Commands that parse their own arguments (probe) get argv untouched. */
  passThrough?: (argv: string[]) => Promise<number>
  run?: (values: OptionValues) => Promise<number>
}

export const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', type: 'boolean', description: 'Show this help.' }

/** A wrong command line: printed with a pointer to the help, exit status 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * Parses a command's options. parseArgs runs non-strict and its tokens are checked here so
 * that every mistake gets a message naming the option (and a suggestion for a typo).
 */
export function parseOptions(command: Command, argv: string[]): OptionValues {
  const specs = [...command.options, HELP_OPTION]
  const { tokens } = parseArgs({
    args: argv,
    options: Object.fromEntries(specs.map((spec) => [spec.name, spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const values: OptionValues = {}
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue
    if (token.kind === 'positional') throw new UsageError(`unexpected argument ${JSON.stringify(token.value)}`, command.name)
    const spec = specs.find((candidate) => candidate.name === token.name)
    if (!spec) {
      const hint = didYouMean(token.name, specs.map((candidate) => candidate.name))
      throw new UsageError(`unknown option ${token.rawName}${hint ? ` (did you mean --${hint}?)` : ''}`, command.name)
    }
    if (values[spec.name] !== undefined) throw new UsageError(`option --${spec.name} given twice`, command.name)
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option --${spec.name} takes no value`, command.name)
      values[spec.name] = true
    } else {
      // "--config --listen x" would otherwise read "--listen" as the file name.
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
        throw new UsageError(`option --${spec.name} needs a value (${spec.placeholder ?? 'VALUE'})`, command.name)
      }
      values[spec.name] = token.value
    }
  }
  const missing = command.options.find((spec) => spec.required && values[spec.name] === undefined)
  if (missing && !values['help']) {
    throw new UsageError(`${command.name} needs --${missing.name}${missing.placeholder ? ` ${missing.placeholder}` : ''}`, command.name)
  }
  return values
}
