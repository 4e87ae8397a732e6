import { ConfigError } from '../config/config-error.js'
import { didYouMean } from '../config/did-you-mean.js'
import { VERSION } from '../version.js'
import { ExitCode, parseOptions, UsageError, type Command } from './command.js'
import { COMMANDS } from './commands.js'
import { commandHelp, generalHelp } from './help.js'

/**
 * The `wedge` command line (bin/wedge.js passes process.argv.slice(2)). Resolves with the
 * exit status; the CLI is the only part of Wedge that decides exit statuses.
 */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv)
  } catch (error) {
    if (error instanceof UsageError) {
      const pointer = error.command ? `wedge help ${error.command}` : 'wedge --help'
      process.stderr.write(`wedge: ${error.message}\nRun "${pointer}" for usage.\n`)
      return ExitCode.USAGE
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      return ExitCode.USAGE
    }
    process.stderr.write(`wedge: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    return ExitCode.FAILURE
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv
  if (first === undefined) {
    process.stderr.write(generalHelp(COMMANDS))
    return ExitCode.USAGE
  }
  if (first === '--help' || first === '-h') return help(rest)
  if (first === '--version') {
    if (rest.length > 0) throw new UsageError(`--version takes no arguments, got ${JSON.stringify(rest[0])}`)
    process.stdout.write(`wedge ${VERSION}\n`)
    return ExitCode.OK
  }
  if (first === 'help') return help(rest)
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (command options go after the command, as in "wedge start --config FILE")`)
  const command = findCommand(first)
  if (command.passThrough) return command.passThrough(rest)
  const values = parseOptions(command, rest)
  if (values['help']) {
    process.stdout.write(commandHelp(command))
    return ExitCode.OK
  }
  return command.run!(values)
}

async function help(args: string[]): Promise<number> {
  if (args.length > 1) throw new UsageError(`help takes at most one command, got ${args.length}`)
  if (args[0] === undefined) {
    process.stdout.write(generalHelp(COMMANDS))
    return ExitCode.OK
  }
  const command = findCommand(args[0])
  // The probe documents its own options.
  if (command.passThrough) return command.passThrough(['--help'])
  process.stdout.write(commandHelp(command))
  return ExitCode.OK
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (command) return command
  const names = [...COMMANDS.map((candidate) => candidate.name), 'help']
  const hint = didYouMean(name, names)
  throw new UsageError(`unknown command ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ` (commands: ${names.join(', ')})`}`)
}
