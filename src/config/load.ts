import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { ConfigError, parsePath, type ConfigIssue, type SecretPaths } from './config-error.js'
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
  const checked = checkConfigText(text, source, options)
  if (checked.config) {
    const fileIssues = await checkFiles(checked.config, checked.listenerPaths, checked.secrets)
    checked.issues.push(...fileIssues.filter((issue) => !checked.explained.has(issue.path)))
  }
  if (checked.config && checked.issues.length === 0) return checked.config
  throw new ConfigError(sortByLine(checked.issues.map((issue) => withPosition(issue, checked.parsed))), source)
}

/**
 * loadConfigFile for text already in memory, without the file checks (TLS files are not
 * read). `source` names the file: its format and the base of relative paths.
 */
export function loadConfigText(text: string, source: string, options: LoadOptions = {}): ResolvedConfig {
  const checked = checkConfigText(text, path.resolve(source), options)
  if (checked.config && checked.issues.length === 0) return checked.config
  throw new ConfigError(sortByLine(checked.issues.map((issue) => withPosition(issue, checked.parsed))), path.resolve(source))
}

interface Checked {
  config: ResolvedConfig | undefined
  listenerPaths: string[]
  issues: ConfigIssue[]
  /** Paths that already have an issue from interpolation: later issues there add nothing. */
  explained: Set<string>
  secrets: SecretPaths
  parsed: ParsedText
}

function checkConfigText(text: string, source: string, options: LoadOptions): Checked {
  const parsed = parseConfigText(text, formatOf(source), source)
  if (parsed.value === null || parsed.value === undefined) {
    throw new ConfigError([{ path: '', message: 'the file is empty: expected a mapping with at least "sites"' }], source)
  }
  const interpolated = interpolateEnv(parsed.value, options.env ?? process.env, coerceToSchema)
  const input = options.listen === undefined ? interpolated.value : withListen(interpolated.value, options.listen)
  const explained = new Set(interpolated.issues.map((issue) => issue.path))
  const checked: Checked = {
    config: undefined, listenerPaths: [], issues: [...interpolated.issues], explained, secrets: interpolated.secrets, parsed,
  }
  try {
    const parts = resolveConfigParts(input, { baseDir: path.dirname(source), secrets: interpolated.secrets })
    checked.config = parts.config
    checked.listenerPaths = parts.listenerPaths
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const issues = options.listen === undefined ? error.issues : error.issues.map(blameListenOption)
    checked.issues.push(...issues.filter((issue) => !explained.has(issue.path)))
  }
  return checked
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

/** With --listen given, a bad `listen` is the option's fault, not the file's. */
export function blameListenOption(issue: ConfigIssue): ConfigIssue {
  return issue.path === 'listen' ? { ...issue, path: '--listen' } : issue
}

function withPosition(issue: ConfigIssue, parsed: ParsedText): ConfigIssue {
  if (issue.line !== undefined || issue.path === '' || issue.path.startsWith('--')) return issue
  const position = parsed.positionOf(parsePath(issue.path))
  return position ? { ...issue, line: position.line, column: position.column } : issue
}

/** In file order, like a compiler; issues without a position keep their place at the front. */
function sortByLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.index - b.index)
    .map(({ issue }) => issue)
}
