import { stat } from 'node:fs/promises'
import path from 'node:path'
import { build, type BuildFailure, type Message } from 'esbuild'
import type { AppConfig } from '../config/app-schema.js'
import type { AppManifest } from '../runtime/runner-protocol.js'
import { AppBuildError, displayPath, formatBuildMessage, fromEsbuildMessage } from './app-build-error.js'
import { compileRules } from './module-rules.js'
import { modulePlugin } from './module-plugin.js'
import { readWranglerConfig, WranglerConfigError, type ModuleRule } from './wrangler-config.js'

export { AppBuildError }

/** A built app: what a deploy uploads, the version store keeps and the runner loads. */
export interface AppBuild {
  code: string
  modules: AppManifest['modules']
  durableObjects: AppManifest['durableObjects']
  vars: Record<string, string>
}

/** The keys of a site's `app:` config that decide what is built. */
export type AppSource = Pick<AppConfig, 'main' | 'wrangler' | 'durable_objects' | 'vars'> & { allow_wasm?: boolean | undefined }

export interface BuildAppOptions {
  /** Called with each warning (unknown wrangler keys, esbuild warnings), already formatted. */
  onWarning?: (message: string) => void
}

/** Where the entry, bindings, vars and rules come from once app config and wrangler file are merged. */
interface ResolvedApp {
  main: string
  /** Module keys are relative to it: the wrangler file's directory, else main's. */
  root: string
  durableObjects: AppBuild['durableObjects']
  vars: Record<string, string>
  rules: ModuleRule[]
}

/**
 * Bundles an app into one ES module with esbuild (TypeScript accepted; Node built-ins
 * refused; text/data modules split out per Workers' module rules) and checks that every
 * Durable Object class is exported. `baseDir` is where `app.main` and `app.wrangler` are
 * relative to (the config file's directory). Throws AppBuildError.
 */
export async function buildApp(app: AppSource, baseDir: string, options: BuildAppOptions = {}): Promise<AppBuild> {
  const resolved = await resolveApp(app, baseDir, options)
  const modules: AppManifest['modules'] = {}
  const outfile = path.join(resolved.root, '__wedge_bundle.js')
  let result
  try {
    result = await build({
      entryPoints: [resolved.main],
      absWorkingDir: resolved.root,
      outfile,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // Like wrangler: worker-flavoured package entry points first, then browser ones.
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['workerd', 'worker', 'browser', 'module', 'jsnext:main', 'main'],
      define: { 'process.env.NODE_ENV': '"production"' },
      keepNames: true,
      logLevel: 'silent',
      plugins: [modulePlugin({ rules: [...compileRules(resolved.rules)], root: resolved.root, allowWasm: app.allow_wasm === true, modules })],
    })
  } catch (error) {
    if (isBuildFailure(error)) throw new AppBuildError(error.errors.map((message) => fromEsbuildMessage(message, resolved.root)))
    throw error
  }
  reportWarnings(result.warnings, resolved.root, options)
  const output = result.outputFiles.find((file) => file.path.endsWith('.js'))!
  const exports = Object.values(result.metafile.outputs).find((entry) => entry.entryPoint !== undefined)?.exports ?? []
  checkExports(exports, resolved)
  return { code: output.text, modules, durableObjects: resolved.durableObjects, vars: resolved.vars }
}

/** Merges the site's app config over the wrangler file: app keys win (vars per name). */
async function resolveApp(app: AppSource, baseDir: string, options: BuildAppOptions): Promise<ResolvedApp> {
  let wrangler
  if (app.wrangler !== undefined) {
    try {
      wrangler = await readWranglerConfig(path.resolve(baseDir, app.wrangler))
    } catch (error) {
      if (error instanceof WranglerConfigError) throw new AppBuildError([{ text: error.message }])
      throw error
    }
    for (const warning of wrangler.warnings) options.onWarning?.(warning)
  }
  const main = app.main !== undefined ? path.resolve(baseDir, app.main) : wrangler?.main
  if (main === undefined) {
    throw AppBuildError.of(wrangler ? `${displayPath(wrangler.file)} has no "main" and the app config gives none` : 'the app config needs "main" (the entry module) or "wrangler" (a wrangler file)')
  }
  const entry = await stat(main).catch(() => undefined)
  if (!entry?.isFile()) throw AppBuildError.of(`main module ${displayPath(main)} does not exist`)
  return {
    main,
    root: wrangler ? path.dirname(wrangler.file) : path.dirname(main),
    durableObjects: app.durable_objects?.map((binding) => ({ binding: binding.name, className: binding.class_name })) ?? wrangler?.durableObjects ?? [],
    vars: { ...wrangler?.vars, ...app.vars },
    rules: wrangler?.rules ?? [],
  }
}

function checkExports(exports: readonly string[], app: ResolvedApp): void {
  const problems: string[] = []
  if (!exports.includes('default')) {
    problems.push(`main (${displayPath(app.main)}) has no default export: Wedge runs ES-module Workers ("export default { fetch(request, env, ctx) { … } }"); service-worker syntax (addEventListener("fetch")) is not supported`)
  }
  const seen = new Set<string>()
  for (const { binding, className } of app.durableObjects) {
    if (seen.has(binding)) problems.push(`Durable Object binding "${binding}" is declared twice`)
    seen.add(binding)
    if (!exports.includes(className)) {
      problems.push(`class ${className} (Durable Object binding "${binding}") is not exported by main (${displayPath(app.main)}): add "export class ${className} …" or export it from there`)
    }
  }
  if (problems.length > 0) throw new AppBuildError(problems.map((text) => ({ text })))
}

function reportWarnings(warnings: Message[], root: string, options: BuildAppOptions): void {
  for (const warning of warnings) options.onWarning?.(`${formatBuildMessage(fromEsbuildMessage(warning, root))}`)
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors)
}
