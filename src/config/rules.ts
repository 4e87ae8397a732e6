import { showValue, type ConfigIssue, type SecretPaths } from './config-error.js'
import type { ResolvedConfig, SiteConfig } from './schema.js'
import { formatDuration, formatListen } from './units.js'

export interface RuleContext {
  /** Values from the environment are never printed. */
  secrets?: SecretPaths | undefined
  /** The config path each resolved listener came from ("listen", "listen[1]", "listeners[0]"). */
  listenerPaths?: readonly string[] | undefined
}

/** A site with its index in the config's `sites` list. */
export interface IndexedSite {
  site: SiteConfig
  index: number
}

/** Cross-field rules that a per-field schema cannot express. */
export function checkRules(config: ResolvedConfig, context: RuleContext = {}): ConfigIssue[] {
  return [...checkSiteRules(config.sites.map((site, index) => ({ site, index })), context), ...duplicateAddresses(config, context)]
}

/**
 * The rules about sites, for any subset of them: when other parts of a config are invalid,
 * the sites that did parse are still checked, so that every problem is reported at once.
 */
export function checkSiteRules(sites: readonly IndexedSite[], context: RuleContext = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const names = new Map<string, number>()
  for (const { site, index } of sites) {
    const at = `sites[${index}]`
    const first = names.get(site.name)
    if (first !== undefined) {
      issues.push({ path: `${at}.name`, message: `duplicate site name ${showValue(site.name, `${at}.name`, context.secrets)} (also sites[${first}])` })
    } else {
      names.set(site.name, index)
    }
    issues.push(...handlerRules(site, at), ...balanceRules(site, at), ...timingRules(site, at, context))
  }
  issues.push(...duplicateRoutes(sites, context))
  return issues
}

function handlerRules(site: SiteConfig, at: string): ConfigIssue[] {
  const handlers = [site.origins ? 'origins' : undefined, site.builtin ? 'builtin' : undefined, site.app ? 'app' : undefined].filter(Boolean)
  if (handlers.length !== 1) {
    return [{ path: at, message: `a site needs exactly one of "origins", "builtin" or "app", got ${handlers.length === 0 ? 'none' : handlers.join(' and ')}` }]
  }
  if (site.app && !site.app.main && !site.app.wrangler) {
    return [{ path: `${at}.app`, message: 'needs "main" (the entry module) or "wrangler" (a wrangler.toml / wrangler.json)' }]
  }
  return []
}

function balanceRules(site: SiteConfig, at: string): ConfigIssue[] {
  const { policy, hash_on: hashOn } = site.balance
  if (policy === 'hash' && !hashOn) {
    return [{ path: `${at}.balance.hash_on`, message: 'required with policy "hash": expected "path", "query:NAME", "header:NAME" or "cookie:NAME"' }]
  }
  if (policy !== 'hash' && hashOn) {
    return [{ path: `${at}.balance.hash_on`, message: `only used with policy "hash", but the policy is "${policy}" (set balance.policy: hash or remove hash_on)` }]
  }
  return []
}

function timingRules(site: SiteConfig, at: string, context: RuleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const show = (path: string, ms: number): string => context.secrets?.has(path) ? showValue(ms, path, context.secrets) : formatDuration(ms)
  const ws = site.ws
  // A ping that may wait longer than the next ping is due can never time out cleanly.
  for (const key of ['ping_interval', 'origin_ping_interval'] as const) {
    if (ws[key] > 0 && ws.ping_timeout >= ws[key]) {
      issues.push({
        path: `${at}.ws.ping_timeout`,
        message: `must be shorter than ws.${key} (${show(`${at}.ws.${key}`, ws[key])}) when pings are on, got ${show(`${at}.ws.ping_timeout`, ws.ping_timeout)}`,
      })
    }
  }
  const check = site.health_check
  if (check && check.timeout >= check.interval) {
    issues.push({
      path: `${at}.health_check.timeout`,
      message: `must be shorter than health_check.interval (${show(`${at}.health_check.interval`, check.interval)}), got ${show(`${at}.health_check.timeout`, check.timeout)}`,
    })
  }
  return issues
}

/** Two sites claiming the same host and path prefix: one of them could never be reached. */
function duplicateRoutes(sites: readonly IndexedSite[], context: RuleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const seen = new Map<string, IndexedSite>()
  for (const entry of sites) {
    const prefix = entry.site.path_prefix ?? '/'
    entry.site.hosts.forEach((host, hostIndex) => {
      const key = `${host.toLowerCase()} ${prefix}`
      const owner = seen.get(key)
      if (owner === undefined) {
        seen.set(key, entry)
      } else if (owner !== entry) {
        const path = `sites[${entry.index}].hosts[${hostIndex}]`
        issues.push({
          path,
          message: `host ${showValue(host, path, context.secrets)} with path_prefix ${JSON.stringify(prefix)} is already served by site ${JSON.stringify(owner.site.name)} (sites[${owner.index}])`,
        })
      }
    })
  }
  return issues
}

/** Two listeners (or a listener and the admin endpoint) on one address would fail at bind time. */
function duplicateAddresses(config: ResolvedConfig, context: RuleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const seen = new Map<string, string>()
  const entries = config.listeners.map((listener, index) => ({
    address: listener.address,
    path: context.listenerPaths?.[index] ?? `listeners[${index}]`,
  }))
  if (config.admin) entries.push({ address: config.admin.listen, path: 'admin.listen' })
  for (const { address, path } of entries) {
    if (address.port === 0) continue // port 0 picks a free port each time
    const text = formatListen(address)
    const owner = seen.get(text)
    if (owner === undefined) seen.set(text, path)
    else issues.push({ path, message: `address ${context.secrets?.has(path) ? showValue(text, path, context.secrets) : text} is already used by ${owner}` })
  }
  return issues
}
