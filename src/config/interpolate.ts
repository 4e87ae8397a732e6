import { formatPath, type ConfigIssue } from './config-error.js'

export interface Interpolated {
  value: unknown
  /** Paths whose values were read (partly or wholly) from the environment, with the variables used. */
  secrets: Map<string, string[]>
  /** Missing variables and malformed references, by path. */
  issues: ConfigIssue[]
}

/**
 * Turns an interpolated string into the type the schema wants at that path (for example
 * `weight: ${WEIGHT}` → 3), or returns it unchanged.
 */
export type Coerce = (path: ReadonlyArray<PropertyKey>, text: string) => unknown

// `$${...}` is an escape for a literal "${...}"; group 2 is the reference, group 3 its closing brace.
const REFERENCE = /\$(\$?)\{([^}]*)(\}?)/g
const NAME_AND_DEFAULT = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value of an already parsed config
 * (keys are left alone). Doing this after parsing means a secret containing quotes, colons or
 * newlines cannot change the structure of the file. A missing variable without default is an
 * issue naming the key path and the variable; the reference is left in place so that the
 * rest of the config can still be checked.
 */
export function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, coerce?: Coerce): Interpolated {
  const result: Interpolated = { value: undefined, secrets: new Map(), issues: [] }
  const walk = (node: unknown, segments: PropertyKey[]): unknown => {
    if (typeof node === 'string') return interpolateString(node, segments, env, result, coerce)
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...segments, index]))
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, walk(child, [...segments, key])]))
    }
    return node
  }
  result.value = walk(value, [])
  return result
}

function interpolateString(
  text: string,
  segments: PropertyKey[],
  env: Readonly<Record<string, string | undefined>>,
  result: Interpolated,
  coerce: Coerce | undefined,
): unknown {
  if (!text.includes('${')) return text
  const path = formatPath(segments)
  const used: string[] = []
  let references = 0
  const replaced = text.replace(REFERENCE, (whole, escape: string, inner: string, close: string) => {
    if (escape) return whole.slice(1)
    references++
    const match = close ? NAME_AND_DEFAULT.exec(inner) : null
    if (!match) {
      result.issues.push({ path, message: `malformed variable reference ${JSON.stringify(whole)}: expected \${NAME} or \${NAME:-default} (write $\${ for a literal "\${")` })
      return ''
    }
    const [, name, fallback] = match as unknown as [string, string, string | undefined]
    const found = env[name]
    // Like the shell's ${NAME:-default}: an empty variable also takes the default.
    if (found !== undefined && (found !== '' || fallback === undefined)) {
      used.push(name)
      return found
    }
    if (fallback !== undefined) return fallback
    result.issues.push({ path, message: `environment variable ${name} is not set (give a default with \${${name}:-default})` })
    return whole
  })
  if (used.length > 0) result.secrets.set(path, [...new Set(used)])
  return references > 0 && coerce ? coerce(segments, replaced) : replaced
}
