import path from 'node:path'
import { parseArgs } from 'node:util'
import { findAppEntry } from '../apps/app-entry.js'
import { AppBuildError, buildApp, type AppBuild, type AppSource } from '../apps/bundle.js'
import type { AppConfig } from '../config/app-schema.js'
import { ConfigError } from '../config/config-error.js'
import { formatListen, formatSize } from '../config/units.js'
import { AdminClient, AdminRequestError } from '../admin/admin-client.js'
import { ExitCode, parseOptions, UsageError, type Command, type OptionSpec, type OptionValues } from './command.js'
import { loadChosenConfig } from './config-source.js'
import { commandHelp } from './help.js'

/** Where a command writes; tests pass their own. */
export interface CommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

const PROCESS_IO: CommandIo = { stdout: process.stdout, stderr: process.stderr }

/** Options every admin-API command takes. */
export const ADMIN_OPTIONS: readonly OptionSpec[] = [
  { name: 'site', short: 's', type: 'string', placeholder: 'NAME', description: 'The app site (its name in the config).' },
  { name: 'admin', type: 'string', placeholder: 'URL', description: 'Admin API of the running edge: "http://127.0.0.1:9090" or "host:port" (default: admin.listen of --config).' },
  { name: 'token', type: 'string', placeholder: 'TOKEN', description: 'Admin bearer token (default: $WEDGE_ADMIN_TOKEN).' },
  { name: 'config', short: 'c', type: 'string', placeholder: 'FILE', description: 'The edge\'s config file: gives the admin address and the site\'s app settings.' },
]

const DEPLOY_OPTIONS: readonly OptionSpec[] = [
  ...ADMIN_OPTIONS,
  { name: 'main', type: 'string', placeholder: 'FILE', description: 'Entry module, instead of the one found in DIR.' },
  { name: 'allow-wasm', type: 'boolean', description: 'Allow WebAssembly modules (as allow_wasm: true in the app config).' },
  { name: 'dry-run', type: 'boolean', description: 'Build and report, upload nothing.' },
]

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'Bundle an app and deploy it as a new version of an app site',
  details: [
    'DIR is the app directory: its wrangler.json / wrangler.jsonc / wrangler.toml is read (main,',
    'durable_objects, vars, rules), else src/index.ts, src/index.js, index.ts or index.js is the',
    'entry. Without DIR, the site\'s app config in --config says what to build. The app is bundled',
    'here (build errors are printed, nothing is uploaded), then uploaded to the admin API; the edge',
    'loads it and switches new events to it, or refuses it and keeps the old version. Prints the new',
    'version number. See docs/deploy.md.',
  ].join('\n'),
  options: DEPLOY_OPTIONS,
  passThrough: (argv) => runDeployCommand(argv),
}

/** `wedge deploy [DIR] --site NAME …`: resolves with the exit status. */
export async function runDeployCommand(argv: string[], io: CommandIo = PROCESS_IO): Promise<number> {
  return runCommand(deployCommand, argv, io, 1, (values, positionals) => deploy(values, positionals[0], io))
}

async function deploy(values: OptionValues, dir: string | undefined, io: CommandIo): Promise<number> {
  const site = values['site'] as string | undefined
  const dryRun = values['dry-run'] === true
  if (site === undefined && !dryRun) throw new UsageError('deploy needs --site NAME', 'deploy')
  const settings = await adminSettings(values, site, !dryRun)
  const { app, baseDir } = await appToBuild(values, dir, settings.app, io)
  let build: AppBuild
  try {
    build = await buildApp(app, baseDir, { onWarning: (message) => io.stderr.write(`warning: ${message}\n`) })
  } catch (error) {
    if (!(error instanceof AppBuildError)) throw error
    io.stderr.write(`${error.message}\nwedge deploy: build failed, nothing was deployed\n`)
    return ExitCode.FAILURE
  }
  const summary = describeBuild(build)
  if (dryRun) {
    io.stdout.write(`built ${summary}; not uploaded (--dry-run)\n`)
    return ExitCode.OK
  }
  const result = await callAdmin(io, 'deploy', () => new AdminClient(settings.admin!, settings.token).deploy(site!, build))
  if (result === undefined) return ExitCode.FAILURE
  io.stdout.write(`deployed site ${site}: version ${result.version} (${summary})\n`)
  return ExitCode.OK
}

/** The app config to build: DIR (or --main) for the entry, the site's app config for the rest. */
async function appToBuild(values: OptionValues, dir: string | undefined, configured: ConfiguredApp | undefined, io: CommandIo): Promise<{ app: AppSource; baseDir: string }> {
  const base: AppSource = {
    main: undefined,
    wrangler: undefined,
    durable_objects: configured?.app.durable_objects,
    vars: configured?.app.vars,
    allow_wasm: values['allow-wasm'] === true || configured?.app.allow_wasm === true,
  }
  if (values['main'] !== undefined) return { app: { ...base, main: path.resolve(values['main'] as string) }, baseDir: process.cwd() }
  if (dir !== undefined) {
    const entry = await findAppEntry(path.resolve(dir), (message) => io.stderr.write(`warning: ${message}\n`))
    if (!entry) throw new UsageError(`${dir} has no wrangler.json, wrangler.jsonc, wrangler.toml, src/index.ts, src/index.js, index.ts or index.js (give --main FILE)`, 'deploy')
    return { app: { ...base, ...entry }, baseDir: process.cwd() }
  }
  if (configured?.app.main === undefined && configured?.app.wrangler === undefined) {
    throw new UsageError('deploy needs the app directory DIR, --main FILE, or --config with the site\'s app config', 'deploy')
  }
  return { app: { ...base, main: configured.app.main, wrangler: configured.app.wrangler }, baseDir: configured.baseDir }
}

interface ConfiguredApp {
  app: AppConfig
  /** The config file's directory: app.main and app.wrangler are relative to it. */
  baseDir: string
}

interface AdminSettings {
  admin: string | undefined
  token: string | undefined
  app: ConfiguredApp | undefined
}

/** --admin / --token / --config resolved; `needAdmin` makes a missing admin address a usage error. */
export async function adminSettings(values: OptionValues, site: string | undefined, needAdmin: boolean): Promise<AdminSettings> {
  const file = values['config'] as string | undefined
  let admin = values['admin'] as string | undefined
  let app: ConfiguredApp | undefined
  if (file !== undefined) {
    const config = await loadChosenConfig({ file })
    if (admin === undefined && config.admin) admin = formatListen(config.admin.listen)
    const configured = site === undefined ? undefined : config.sites.find((candidate) => candidate.name === site)
    if (site !== undefined && !configured) throw new UsageError(`${file} has no site named ${JSON.stringify(site)}`, 'deploy')
    if (configured?.app) app = { app: configured.app, baseDir: path.dirname(path.resolve(file)) }
  }
  if (admin === undefined && needAdmin) throw new UsageError('needs --admin URL (or --config FILE with admin.listen)')
  return { admin, token: (values['token'] as string | undefined) ?? (process.env['WEDGE_ADMIN_TOKEN'] || undefined), app }
}

/** Runs an admin call; prints its failure and resolves undefined. */
export async function callAdmin<T>(io: CommandIo, command: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof TypeError && /admin URL/.test(error.message)) throw new UsageError(error.message, command)
    if (!(error instanceof AdminRequestError)) throw error
    const status = error.status === undefined ? '' : ` (HTTP ${error.status}${error.code ? ` ${error.code}` : ''})`
    io.stderr.write(`wedge ${command}: ${error.message}${status}\n`)
    return undefined
  }
}

function describeBuild(build: AppBuild): string {
  const moduleBytes = Object.values(build.modules).reduce((sum, module) => sum + (module.type === 'text' ? Buffer.byteLength(module.value) : module.value.byteLength), 0)
  const modules = Object.keys(build.modules).length
  const classes = build.durableObjects.map((binding) => binding.className)
  return [
    `bundle ${formatSize(Buffer.byteLength(build.code))}`,
    ...(modules > 0 ? [`${modules} module${modules === 1 ? '' : 's'} ${formatSize(moduleBytes)}`] : []),
    ...(classes.length > 0 ? [`Durable Objects: ${classes.join(', ')}`] : []),
  ].join(', ')
}

/**
 * Parses argv (options per `command`, at most `maxPositionals` positionals), prints help or
 * runs; usage and config errors print and give exit status 2, like the main dispatcher.
 */
export async function runCommand(
  command: Command, argv: string[], io: CommandIo, maxPositionals: number,
  run: (values: OptionValues, positionals: string[]) => Promise<number>,
): Promise<number> {
  try {
    const { values, positionals } = parseWithPositionals(command, argv, maxPositionals)
    if (values['help']) {
      io.stdout.write(commandHelp({ ...command, passThrough: undefined }).replace(`Usage: wedge ${command.name}`, `Usage: wedge ${command.name}${maxPositionals > 0 ? ' [DIR]' : ''}`))
      return ExitCode.OK
    }
    return await run(values, positionals)
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`wedge: ${error.message}\nRun "wedge help ${command.name}" for usage.\n`)
      return ExitCode.USAGE
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`${error.message}\n`)
      return ExitCode.USAGE
    }
    throw error
  }
}

/** parseOptions (its messages and did-you-mean), after taking out up to `max` positional arguments. */
function parseWithPositionals(command: Command, argv: string[], max: number): { values: OptionValues; positionals: string[] } {
  const { tokens } = parseArgs({
    args: argv,
    options: Object.fromEntries([...command.options, { name: 'help', short: 'h', type: 'boolean' as const }].map((spec) => [spec.name, spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }])),
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  // An unknown option takes no value for parseArgs, so its value would look like a positional:
  // report the option itself (parseOptions words it, with a did-you-mean).
  const known = new Set([...command.options.map((spec) => spec.name), 'help'])
  const unknown = tokens.find((token) => token.kind === 'option' && !known.has(token.name))
  if (unknown?.kind === 'option') parseOptions(command, [unknown.rawName])
  const positional = tokens.filter((token) => token.kind === 'positional')
  if (positional.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(positional[max]!.value)}`, command.name)
  const indexes = new Set(positional.map((token) => token.index))
  return { values: parseOptions(command, argv.filter((_, index) => !indexes.has(index))), positionals: positional.map((token) => token.value) }
}
