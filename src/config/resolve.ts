import { configSchema, type ResolvedConfig } from './schema.js'
import { ConfigError, issuesFromZod } from './config-error.js'
import { checkRules } from './rules.js'

/**
 * Validates a config object (already parsed from YAML/JSON, env interpolated) and returns
 * the resolved, deeply frozen config. Throws ConfigError listing every problem found.
 */
export function resolveConfig(input: unknown): ResolvedConfig {
  const result = configSchema.safeParse(input)
  if (!result.success) throw new ConfigError(issuesFromZod(result.error))
  const parsed = result.data
  const { listen, listeners, ...rest } = parsed
  const resolved: ResolvedConfig = {
    ...rest,
    listeners: [
      ...(listen === undefined ? [] : Array.isArray(listen) ? listen : [listen]).map((address) => ({ address })),
      ...(listeners ?? []),
    ],
  }
  if (resolved.listeners.length === 0) resolved.listeners.push({ address: { host: '127.0.0.1', port: 8080 } })
  const problems = checkRules(resolved)
  if (problems.length > 0) throw new ConfigError(problems)
  return deepFreeze(resolved)
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
