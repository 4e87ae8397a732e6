import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import path from 'node:path'
import type { OnResolveArgs, OnResolveResult, Plugin, PluginBuild } from 'esbuild'
import type { AppManifest } from '../runtime/runner-protocol.js'
import { matchRule, type CompiledRule } from './module-rules.js'

export interface ModulePluginOptions {
  rules: readonly CompiledRule[]
  /** Module keys are paths relative to this directory (the app's root). */
  root: string
  allowWasm: boolean
  /** Filled with every text/data module the bundle imports, keyed by the specifier it imports. */
  modules: AppManifest['modules']
}

const RESOLVING = Symbol('wedge-resolving')
const WASM_NAMESPACE = 'wedge-wasm'
const NODE_BUILTINS = new Set(builtinModules)

/**
 * Decides what each import of the app becomes: `cloudflare:workers` stays external (the
 * runner provides it); Node built-ins are refused (there is no Node in the isolate); files
 * matching a module rule become entries of `modules` and external imports of their key, which
 * the runner resolves from `manifest.modules`; everything else is bundled by esbuild.
 */
export function modulePlugin(options: ModulePluginOptions): Plugin {
  return {
    name: 'wedge-modules',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.pluginData === RESOLVING) return undefined
        if (args.namespace === WASM_NAMESPACE) return { path: args.path, external: true }
        return resolveImport(build, options, args)
      })
      // Workers give a CompiledWasm import as a WebAssembly.Module; the runner gives data
      // modules as ArrayBuffer, so a two-line wrapper compiles it.
      build.onLoad({ filter: /.*/, namespace: WASM_NAMESPACE }, (args) => ({
        contents: `import bytes from ${JSON.stringify(args.path)}\nexport default new WebAssembly.Module(bytes)\n`,
        loader: 'js',
      }))
    },
  }
}

async function resolveImport(build: PluginBuild, options: ModulePluginOptions, args: OnResolveArgs): Promise<OnResolveResult | undefined> {
  const specifier = args.path
  if (specifier === 'cloudflare:workers') return { path: specifier, external: true }
  if (specifier.startsWith('cloudflare:')) return refuse(`"${specifier}" is not provided by Wedge (only "cloudflare:workers" is)`)
  if (specifier.startsWith('node:')) return refuse(`Node.js built-in "${specifier}" cannot be imported: apps run in an isolate without Node.js APIs`)
  const rule = matchRule(options.rules, specifier)
  if (NODE_BUILTINS.has(specifier) && !rule) {
    // "buffer", "events"… may be npm polyfills: only refuse when nothing on disk answers.
    const found = await build.resolve(specifier, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING })
    if (found.errors.length === 0) return { path: found.path, sideEffects: found.sideEffects }
    return refuse(`Node.js built-in "${specifier}" cannot be imported: apps run in an isolate without Node.js APIs`)
  }
  if (!rule) return undefined
  const file = await resolveRuleFile(build, args)
  if ('errors' in file) return file
  const key = moduleKey(options.root, file.path)
  if (rule.type === 'CompiledWasm' && !options.allowWasm) {
    return refuse(`WebAssembly module "${specifier}" (rule ${rule.glob}) needs allow_wasm: true in the site's app config`)
  }
  let bytes: Buffer
  try {
    bytes = await readFile(file.path)
  } catch (error) {
    return refuse(`cannot read "${specifier}": ${(error as Error).message}`)
  }
  options.modules[key] = rule.type === 'Text'
    ? { type: 'text', value: bytes.toString('utf8') }
    : { type: 'data', value: new Uint8Array(bytes) }
  if (rule.type === 'CompiledWasm') return { path: key, namespace: WASM_NAMESPACE }
  return { path: key, external: true }
}

async function resolveRuleFile(build: PluginBuild, args: OnResolveArgs): Promise<{ path: string } | OnResolveResult & { errors: unknown[] }> {
  // "./x.wasm?module" names the file "./x.wasm" (wrangler's spelling for CompiledWasm).
  const specifier = args.path.replace(/\?module$/, '')
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) return { path: path.resolve(args.resolveDir, specifier) }
  const found = await build.resolve(specifier, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING })
  if (found.errors.length > 0) return { errors: found.errors }
  return { path: found.path }
}

/**
 * The specifier the bundle imports and the key in `manifest.modules`: the file's path relative
 * to the app root with "/" separators ("index.html", "assets/logo.bin", "../shared/x.txt").
 * Stable across builds, so an unchanged app builds to the same bytes.
 */
export function moduleKey(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/')
}

function refuse(text: string): OnResolveResult & { errors: { text: string }[] } {
  return { errors: [{ text }] }
}
