import path from 'node:path'
import { configSchema, siteSchema, type ListenerConfig, type ResolvedConfig } from './schema.js'
import { ConfigError, type ConfigIssue, type SecretPaths } from './config-error.js'
import { checkRules, checkSiteRules, type IndexedSite } from './rules.js'
import { issuesFromZod } from './zod-issues.js'

export interface ResolveOptions {
  /** Relative file paths in the config (TLS files, CA, data_dir) resolve against this directory. */
  baseDir?: string | undefined
  /** Paths whose values came from environment variables: their values are never printed. */
  secrets?: SecretPaths | undefined
}

export interface ResolvedParts {
  config: ResolvedConfig
  /** The config path each entry of `config.listeners` came from: "listen", "listen[1]", "listeners[0].address". */
  listenerPaths: string[]
}

/**
 * Validates a config object (already parsed from YAML/JSON, env interpolated) and returns
 * the resolved, deeply frozen config. Throws ConfigError listing every problem found.
 */
export function resolveConfig(input: unknown, options: ResolveOptions = {}): ResolvedConfig {
  return resolveConfigParts(input, options).config
}

/** resolveConfig, also telling where each listener came from (for messages about listeners). */
export function resolveConfigParts(input: unknown, options: ResolveOptions = {}): ResolvedParts {
  const result = configSchema.safeParse(input, { reportInput: true })
  if (!result.success) {
    throw new ConfigError([...issuesFromZod(result.error, configSchema, options.secrets), ...rulesForValidSites(input, options)])
  }
  const { listen, listeners, ...rest } = result.data
  const plain = listen === undefined ? [] : Array.isArray(listen) ? listen : [listen]
  const resolved: ResolvedConfig = {
    ...rest,
    listeners: [...plain.map((address) => ({ address })), ...(listeners ?? [])],
  }
  const listenerPaths = [
    ...plain.map((_, index) => Array.isArray(listen) ? `listen[${index}]` : 'listen'),
    ...(listeners ?? []).map((_, index) => `listeners[${index}].address`),
  ]
  if (resolved.listeners.length === 0) {
    resolved.listeners.push({ address: { host: '127.0.0.1', port: 8080 } })
    listenerPaths.push('listen')
  }
  if (options.baseDir !== undefined) resolveFilePaths(resolved, options.baseDir)
  const problems = checkRules(resolved, { secrets: options.secrets, listenerPaths })
  if (problems.length > 0) throw new ConfigError(problems)
  return { config: deepFreeze(resolved), listenerPaths }
}

/** checkSiteRules on the sites that are valid on their own, when the config as a whole is not. */
function rulesForValidSites(input: unknown, options: ResolveOptions): ConfigIssue[] {
  const sites = (input as { sites?: unknown } | null)?.sites
  if (!Array.isArray(sites)) return []
  const valid: IndexedSite[] = []
  sites.forEach((site, index) => {
    const parsed = siteSchema.safeParse(site)
    if (parsed.success) valid.push({ site: parsed.data, index })
  })
  return checkSiteRules(valid, { secrets: options.secrets })
}

/** Makes every file path in the config absolute, relative to the config file's directory. */
function resolveFilePaths(config: ResolvedConfig, baseDir: string): void {
  const absolute = (file: string): string => path.resolve(baseDir, file)
  config.data_dir = absolute(config.data_dir)
  const resolveTls = (holder: { tls?: ListenerConfig['tls'] }): void => {
    if (holder.tls) holder.tls = { cert: absolute(holder.tls.cert), key: absolute(holder.tls.key) }
  }
  config.listeners.forEach(resolveTls)
  for (const site of config.sites) {
    resolveTls(site)
    if (site.origin_tls.ca !== undefined) site.origin_tls = { ...site.origin_tls, ca: absolute(site.origin_tls.ca) }
    if (site.app) {
      site.app = {
        ...site.app,
        ...(site.app.main === undefined ? {} : { main: absolute(site.app.main) }),
        ...(site.app.wrangler === undefined ? {} : { wrangler: absolute(site.app.wrangler) }),
      }
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
