import type { z } from 'zod'

/** One problem in a config: where (key path), what was there, what was expected. */
export interface ConfigIssue {
  path: string
  message: string
  value?: unknown
}

/** A config that cannot be used. `issues` lists every problem; the message names them all. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  constructor(issues: ConfigIssue[], source?: string) {
    super(formatIssues(issues, source))
    this.name = 'ConfigError'
    this.issues = issues
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out || '(root)'
}

export function issuesFromZod(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }))
}

export function formatIssues(issues: ConfigIssue[], source?: string): string {
  const head = `invalid config${source ? ` in ${source}` : ''}:`
  return [head, ...issues.map((issue) => `  ${issue.path}: ${issue.message}`)].join('\n')
}
