/** One problem in a config: where (key path, and the file position when known), what was there, what was expected. */
export interface ConfigIssue {
  /** Key path such as `sites[0].balance.policy`; "" for a problem with the file itself (syntax, unreadable). */
  path: string
  message: string
  /** The offending value when it is short and did not come from the environment. */
  value?: unknown
  line?: number
  column?: number
}

/** A config that cannot be used. `issues` lists every problem; the message names them all. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  readonly source: string | undefined
  constructor(issues: ConfigIssue[], source?: string) {
    super(formatIssues(issues, source))
    this.name = 'ConfigError'
    this.issues = issues
    this.source = source
  }
}

/** Config paths whose values were interpolated from environment variables, with the variables' names. */
export type SecretPaths = ReadonlyMap<string, readonly string[]>

/** ['sites', 0, 'name'] → "sites[0].name". */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out || '(root)'
}

/** "sites[0].name" → ['sites', 0, 'name'] (the inverse of formatPath for the config's own keys). */
export function parsePath(text: string): PropertyKey[] {
  if (text === '(root)' || text === '') return []
  const out: PropertyKey[] = []
  for (const match of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    out.push(match[2] === undefined ? match[1]! : Number(match[2]))
  }
  return out
}

/**
 * How a message shows a value: short scalars literally, containers by kind, and never a value
 * that came from an environment variable (it may be a secret); that one is named by its variable.
 */
export function showValue(value: unknown, path?: string, secrets?: SecretPaths): string {
  const variables = path === undefined ? undefined : secrets?.get(path)
  if (variables) return `the value of ${variables.map((name) => `$${name}`).join(' and ')} (not shown)`
  if (typeof value === 'string') return value.length <= 60 ? JSON.stringify(value) : `a ${value.length}-character string`
  if (Array.isArray(value)) return 'a list'
  if (value !== null && typeof value === 'object') return 'a mapping'
  return String(value)
}

/** True when showValue would print the value itself (so it may go into ConfigIssue.value). */
export function isShown(value: unknown, path: string, secrets?: SecretPaths): boolean {
  if (secrets?.has(path)) return false
  return (typeof value === 'string' && value.length <= 60) || typeof value === 'number' || typeof value === 'boolean'
}

export function formatIssue(issue: ConfigIssue): string {
  const at = issue.line === undefined ? '' : issue.column === undefined ? `line ${issue.line}` : `line ${issue.line}:${issue.column}`
  const where = issue.path === '' ? at : at === '' ? issue.path : `${issue.path} (${at})`
  return where === '' ? issue.message : `${where}: ${issue.message}`
}

export function formatIssues(issues: ConfigIssue[], source?: string): string {
  const head = `invalid config${source ? ` in ${source}` : ''}:`
  return [head, ...issues.map((issue) => `  ${formatIssue(issue)}`)].join('\n')
}
