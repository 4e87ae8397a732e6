import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { ConfigError, parsePath, type ConfigIssue } from './config-error.js'
import { checkFiles } from './file-checks.js'
import { interpolateEnv, type Coerce } from './interpolate.js'
import { formatOf, parseConfigText, type ParsedText } from './parse-text.js'
import { resolveConfigParts } from './resolve.js'
import { schemaAtPath, unwrap } from './schema-walk.js'
import { configSchema, type ResolvedConfig } from './schema.js'

export interface LoadOptions {
  /** Variables for `${NAME}` interpolation; default process.env. */
  env?: Readonly<Record<string, string | undefined>>
  /** Replaces every listener in the file with this one plain "host:port" (the CLI's --listen). */
  listen?: string | undefined
}

/**
 * Reads a YAML or JSON config file, interpolates `${NAME}` / `${NAME:-default}` from the
 * environment, resolves relative file paths against the file's directory, validates it and
 * checks that the TLS files it names are usable. Throws ConfigError listing every problem,
 * each with its key path and, when known, its line in the file.
 */
export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<ResolvedConfig> {
  const source = path.resolve(file)
  let text: string
  try {
    text = await readFile(source, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : (error as Error).message
    throw new ConfigError([{ path: '', message: `cannot read the config file: ${reason}` }], source)
  }
  const parsed = parseConfigText(text, formatOf(source), source)
  if (parsed.value === null || parsed.value === undefined) {
    throw new ConfigError([{ path: '', message: 'the file is empty: expected a mapping with at least "sites"' }], source)
  }
  const interpolated = interpolateEnv(parsed.value, options.env ?? process.env, coerceToSchema)
  const input = options.listen === undefined ? interpolated.value : withListen(interpolated.value, options.listen)
  const issues: ConfigIssue[] = []
  try {
    const { config, listenerPaths } = resolveConfigParts(input, { baseDir: path.dirname(source), secrets: interpolated.secrets })
    issues.push(...await checkFiles(config, listenerPaths, interpolated.secrets))
    if (issues.length === 0 && interpolated.issues.length === 0) return config
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    issues.push(...error.issues)
  }
  // A missing variable already explains why the value at its path is wrong.
  const explained = new Set(interpolated.issues.map((issue) => issue.path))
  const all = [...interpolated.issues, ...issues.filter((issue) => !explained.has(issue.path))]
  throw new ConfigError(sortByLine(all.map((issue) => withPosition(issue, parsed))), source)
}

/** In file order, like a compiler; issues without a position keep their place at the front. */
function sortByLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.index - b.index)
    .map(({ issue }) => issue)
}

function withListen(input: unknown, listen: string): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input
  const { listeners: _dropped, ...rest } = input as Record<string, unknown>
  return { ...rest, listen }
}

/** `weight: ${WEIGHT}` interpolates to a string; where the schema wants a number or boolean, convert it. */
const coerceToSchema: Coerce = (segments, text) => {
  const schema = schemaAtPath(configSchema, segments)
  const inner = schema && unwrap(schema).schema
  if (inner instanceof z.ZodNumber && /^\s*-?\d+(\.\d+)?\s*$/.test(text)) return Number(text)
  if (inner instanceof z.ZodBoolean && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

function withPosition(issue: ConfigIssue, parsed: ParsedText): ConfigIssue {
  if (issue.line !== undefined || issue.path === '') return issue
  const position = parsed.positionOf(parsePath(issue.path))
  return position ? { ...issue, line: position.line, column: position.column } : issue
}

