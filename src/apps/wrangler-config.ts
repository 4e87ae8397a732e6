import { access, readFile } from 'node:fs/promises'
import path from 'node:path'
import { didYouMean } from '../config/did-you-mean.js'
import { parseWranglerText, WranglerConfigError, type KeyPath, type WranglerSource } from './wrangler-source.js'

export { WranglerConfigError }

/** Module rule types Wedge implements (Workers' "rules" and default module rules). */
export type ModuleRuleType = 'Text' | 'Data' | 'CompiledWasm'

export interface ModuleRule {
  type: ModuleRuleType
  globs: string[]
  /** When false (Workers' default), this rule replaces the default rules of its type. */
  fallthrough: boolean
}

/** What Wedge reads from a wrangler file. */
export interface WranglerConfig {
  /** Absolute path of the file read. */
  file: string
  /** Absolute path of the entry module (resolved against the file's directory), when given. */
  main: string | undefined
  durableObjects: { binding: string; className: string }[]
  vars: Record<string, string>
  rules: ModuleRule[]
  /** Keys read but not applied (unknown or unsupported), one message each. */
  warnings: string[]
}

/** Looked for in an app directory, in this order (wrangler's own preference: JSON first). */
export const WRANGLER_FILE_NAMES = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'] as const

/** Keys Wedge knows and does not need: Cloudflare account, routing, build and deploy settings. */
const IGNORED_KEYS = new Set([
  '$schema', 'name', 'compatibility_date', 'compatibility_flags', 'migrations', 'account_id', 'routes', 'route',
  'workers_dev', 'preview_urls', 'zone_id', 'usage_model', 'send_metrics', 'keep_vars', 'minify', 'keep_names',
  'observability', 'logpush', 'placement', 'upload_source_maps', 'dev', 'build', 'tsconfig', 'node_compat',
  'no_bundle', 'find_additional_modules', 'base_dir', 'preserve_file_names', 'tail_consumers', 'limits',
  'legacy_env', 'first_party_worker', 'jsx_factory', 'jsx_fragment', 'compliance_region',
])

/**
 * Keys whose feature Wedge does not provide: the app would find env bindings or events
 * missing at runtime, so each one found is a warning naming what will be absent.
 */
const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  kv_namespaces: 'KV bindings', r2_buckets: 'R2 bindings', d1_databases: 'D1 bindings', services: 'service bindings',
  queues: 'queue bindings and consumers', ai: 'the AI binding', vectorize: 'Vectorize bindings', hyperdrive: 'Hyperdrive bindings',
  analytics_engine_datasets: 'Analytics Engine bindings', browser: 'the browser binding', mtls_certificates: 'mTLS bindings',
  dispatch_namespaces: 'dispatch namespaces', send_email: 'email bindings', workflows: 'Workflows', pipelines: 'pipelines',
  secrets_store_secrets: 'Secrets Store bindings', images: 'the Images binding', version_metadata: 'the version metadata binding',
  unsafe: 'unsafe bindings', assets: 'static assets', site: 'Workers Sites', wasm_modules: 'service-worker wasm_modules',
  text_blobs: 'service-worker text_blobs', data_blobs: 'service-worker data_blobs', triggers: 'cron triggers (scheduled())',
  env: 'per-environment sections (Wedge reads the top-level keys only)', define: 'build-time define', alias: 'module aliases',
  containers: 'containers', logfwdr: 'logfwdr bindings',
}

const READ_KEYS = ['main', 'durable_objects', 'vars', 'rules'] as const

/** Finds the wrangler file of an app directory, if any (warns through `onWarning` when several exist). */
export async function findWranglerFile(dir: string, onWarning?: (message: string) => void): Promise<string | undefined> {
  const found: string[] = []
  for (const name of WRANGLER_FILE_NAMES) {
    const file = path.join(dir, name)
    if (await access(file).then(() => true, () => false)) found.push(file)
  }
  if (found.length > 1) onWarning?.(`${dir}: several wrangler files (${found.map((file) => path.basename(file)).join(', ')}); reading ${path.basename(found[0]!)}`)
  return found[0]
}

/** Reads and checks a wrangler.toml / wrangler.json / wrangler.jsonc. Throws WranglerConfigError. */
export async function readWranglerConfig(file: string): Promise<WranglerConfig> {
  const absolute = path.resolve(file)
  let text: string
  try {
    text = await readFile(absolute, 'utf8')
  } catch (error) {
    throw new WranglerConfigError(absolute, `cannot read: ${(error as Error).message}`)
  }
  return parseWranglerConfig(text, absolute)
}

/** Checks the text of a wrangler file named `file` (its extension picks TOML or JSON). */
export function parseWranglerConfig(text: string, file: string): WranglerConfig {
  const source = parseWranglerText(file, text)
  const warnings: string[] = []
  const { value } = source
  for (const key of Object.keys(value)) {
    if ((READ_KEYS as readonly string[]).includes(key) || IGNORED_KEYS.has(key)) continue
    const feature = UNSUPPORTED_KEYS[key]
    if (feature) {
      warnings.push(`${source.where([key])}: ${key} ignored: Wedge does not provide ${feature}`)
      continue
    }
    const hint = didYouMean(key, [...READ_KEYS, ...IGNORED_KEYS, ...Object.keys(UNSUPPORTED_KEYS)])
    warnings.push(`${source.where([key])}: unknown key ${JSON.stringify(key)} ignored${hint ? ` (did you mean "${hint}"?)` : ''}`)
  }
  return {
    file,
    main: readMain(source),
    durableObjects: readDurableObjects(source, warnings),
    vars: readVars(source),
    rules: readRules(source, warnings),
    warnings,
  }
}

function readMain(source: WranglerSource): string | undefined {
  const main = source.value['main']
  if (main === undefined) return undefined
  if (typeof main !== 'string' || main === '') throw source.fail(['main'], `expected the entry module path, got ${describe(main)}`)
  return path.resolve(path.dirname(source.file), main)
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

function readDurableObjects(source: WranglerSource, warnings: string[]): WranglerConfig['durableObjects'] {
  const section = source.value['durable_objects']
  if (section === undefined) return []
  const where: KeyPath = ['durable_objects']
  const table = expectObject(source, where, section)
  for (const key of Object.keys(table)) {
    if (key !== 'bindings') warnings.push(`${source.where([...where, key])}: unknown key "durable_objects.${key}" ignored`)
  }
  if (table['bindings'] === undefined) return []
  const bindings = expectArray(source, [...where, 'bindings'], table['bindings'])
  return bindings.map((item, index) => {
    const at: KeyPath = [...where, 'bindings', index]
    const binding = expectObject(source, at, item)
    for (const key of ['script_name', 'environment']) {
      if (binding[key] !== undefined) {
        throw source.fail([...at, key], `Durable Objects of another Worker (${key}) are not supported: the class must be exported by this app's main module`)
      }
    }
    for (const key of Object.keys(binding)) {
      if (key !== 'name' && key !== 'class_name') warnings.push(`${source.where([...at, key])}: unknown key "${key}" in a Durable Object binding ignored`)
    }
    return {
      binding: expectIdentifier(source, [...at, 'name'], binding['name'], 'the env binding name'),
      className: expectIdentifier(source, [...at, 'class_name'], binding['class_name'], 'the exported class name'),
    }
  })
}

function readVars(source: WranglerSource): Record<string, string> {
  const section = source.value['vars']
  if (section === undefined) return {}
  const vars: Record<string, string> = {}
  for (const [name, value] of Object.entries(expectObject(source, ['vars'], section))) {
    if (typeof value !== 'string') {
      throw source.fail(['vars', name], `Wedge vars are strings, got ${describe(value)} (quote it, or JSON-encode it and JSON.parse(env.${name}) in the app)`)
    }
    vars[name] = value
  }
  return vars
}

const RULE_TYPES = ['Text', 'Data', 'CompiledWasm'] as const
/** JavaScript rule types mean nothing once esbuild bundles every JS module. */
const BUNDLED_RULE_TYPES = ['ESModule', 'CommonJS']

function readRules(source: WranglerSource, warnings: string[]): ModuleRule[] {
  const section = source.value['rules']
  if (section === undefined) return []
  const rules: ModuleRule[] = []
  expectArray(source, ['rules'], section).forEach((item, index) => {
    const at: KeyPath = ['rules', index]
    const rule = expectObject(source, at, item)
    const type = rule['type']
    if (typeof type === 'string' && BUNDLED_RULE_TYPES.includes(type)) {
      warnings.push(`${source.where([...at, 'type'])}: rule of type ${type} ignored: Wedge bundles JavaScript modules with esbuild`)
      return
    }
    if (!(RULE_TYPES as readonly unknown[]).includes(type)) {
      throw source.fail([...at, 'type'], `expected one of ${RULE_TYPES.join(', ')}, got ${describe(type)}`)
    }
    const globs = expectArray(source, [...at, 'globs'], rule['globs'] ?? [])
    globs.forEach((glob, globIndex) => {
      if (typeof glob !== 'string' || glob === '') throw source.fail([...at, 'globs', globIndex], `expected a glob such as "**/*.txt", got ${describe(glob)}`)
    })
    const fallthrough = rule['fallthrough'] ?? false
    if (typeof fallthrough !== 'boolean') throw source.fail([...at, 'fallthrough'], `expected true or false, got ${describe(fallthrough)}`)
    rules.push({ type: type as ModuleRuleType, globs: globs as string[], fallthrough })
  })
  return rules
}

function expectObject(source: WranglerSource, at: KeyPath, value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  throw source.fail(at, `expected a table/object, got ${describe(value)}`)
}

function expectArray(source: WranglerSource, at: KeyPath, value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  throw source.fail(at, `expected a list, got ${describe(value)}`)
}

function expectIdentifier(source: WranglerSource, at: KeyPath, value: unknown, what: string): string {
  if (typeof value === 'string' && IDENTIFIER.test(value)) return value
  throw source.fail(at, `expected ${what} (a JavaScript identifier), got ${describe(value)}`)
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Date) return 'a date'
  if (typeof value === 'object' && value !== null) return 'a table/object'
  return `${typeof value} ${JSON.stringify(value)}`
}
