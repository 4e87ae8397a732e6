import { AdminClient } from '../admin/admin-client.js'
import { ExitCode, UsageError, type Command } from './command.js'
import { ADMIN_OPTIONS, adminSettings, callAdmin, runCommand, type CommandIo } from './deploy-command.js'

const PROCESS_IO: CommandIo = { stdout: process.stdout, stderr: process.stderr }

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Switch an app site back to its previous version (or to --version N)',
  details: [
    'Asks the running edge (admin API) to make an older stored version of the site current: by',
    'default the newest version older than the current one; with --version, that version. New',
    'events go to it; the edge keeps the last 20 versions. Prints the version now running.',
    'See docs/deploy.md.',
  ].join('\n'),
  options: [
    ...ADMIN_OPTIONS.map((option) => option.name === 'site' ? { ...option, required: true } : option),
    { name: 'version', type: 'string', placeholder: 'N', description: 'The version to switch to (see GET /api/apps/SITE/versions).' },
  ],
  passThrough: (argv) => runRollbackCommand(argv),
}

/** `wedge rollback --site NAME …`: resolves with the exit status. */
export function runRollbackCommand(argv: string[], io: CommandIo = PROCESS_IO): Promise<number> {
  return runCommand(rollbackCommand, argv, io, 0, async (values) => {
    const site = values['site'] as string | undefined
    if (site === undefined) throw new UsageError('rollback needs --site NAME', 'rollback')
    const text = values['version'] as string | undefined
    const version = text === undefined ? undefined : Number(text)
    if (version !== undefined && !(Number.isSafeInteger(version) && version > 0)) {
      throw new UsageError(`--version expects a version number, got ${JSON.stringify(text)}`, 'rollback')
    }
    const settings = await adminSettings(values, site, true)
    const result = await callAdmin(io, 'rollback', () => new AdminClient(settings.admin!, settings.token).rollback(site, version))
    if (result === undefined) return ExitCode.FAILURE
    io.stdout.write(`site ${site} is now running version ${result.version}\n`)
    return ExitCode.OK
  })
}
