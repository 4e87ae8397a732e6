import type { Command } from './command.js'
import { checkCommand } from './check-command.js'
import { deployCommand } from './deploy-command.js'
import { rollbackCommand } from './rollback-command.js'
import { usageCommand } from '../metering/usage-cli.js'
import { probeCommand, probeOriginCommand } from './probe-commands.js'
import { reloadCommand } from './reload-command.js'
import { startCommand } from './start-command.js'

/** Every `wedge` command, in the order `wedge --help` lists them. */
export const COMMANDS: readonly Command[] = [startCommand, checkCommand, reloadCommand, deployCommand, rollbackCommand, usageCommand, probeCommand, probeOriginCommand]
