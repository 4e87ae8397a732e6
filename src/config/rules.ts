import type { ConfigIssue } from './config-error.js'
import type { ResolvedConfig } from './schema.js'

/** Cross-field rules that a per-field schema cannot express. */
export function checkRules(config: ResolvedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const names = new Set<string>()
  config.sites.forEach((site, index) => {
    const at = `sites[${index}]`
    if (names.has(site.name)) issues.push({ path: `${at}.name`, message: `duplicate site name ${JSON.stringify(site.name)}` })
    names.add(site.name)
    const handlers = [site.origins ? 'origins' : undefined, site.builtin ? 'builtin' : undefined].filter(Boolean)
    if (handlers.length !== 1) {
      issues.push({ path: at, message: `a site needs exactly one of "origins" or "builtin", got ${handlers.length === 0 ? 'none' : handlers.join(' and ')}` })
    }
    if (site.balance.policy === 'hash' && !site.balance.hash_on) {
      issues.push({ path: `${at}.balance.hash_on`, message: 'policy "hash" needs hash_on ("path", "query:NAME", "header:NAME" or "cookie:NAME")' })
    }
  })
  return issues
}
