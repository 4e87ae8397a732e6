import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'
import { parse as parseToml, TomlError } from 'smol-toml'
import { displayPath } from './app-build-error.js'

export type KeyPath = readonly (string | number)[]

/** A wrangler.toml / wrangler.json(c) file or Wedge app file that cannot be used as is. */
export class WranglerConfigError extends Error {
  constructor(readonly file: string, message: string, readonly line?: number, readonly column?: number) {
    super(`${line === undefined ? displayPath(file) : `${displayPath(file)}:${line}:${column ?? 1}`}: ${message}`)
    this.name = 'WranglerConfigError'
  }
}

/**
 * A parsed wrangler file: its value, and where a key path is in the text (JSON only: TOML
 * parsers give no positions for values, so TOML problems are named by key path alone).
 */
export interface WranglerSource {
  file: string
  value: Record<string, unknown>
  /** "file:line:col" for JSON, "file" for TOML. */
  where(path: KeyPath): string
  /** An error pointing at the key path. */
  fail(path: KeyPath, message: string): WranglerConfigError
}

/** Parses the text by the file's extension (.toml, else JSON with comments and trailing commas). */
export function parseWranglerText(file: string, text: string): WranglerSource {
  return file.endsWith('.toml') ? parseTomlSource(file, text) : parseJsonSource(file, text)
}

function parseTomlSource(file: string, text: string): WranglerSource {
  let value: Record<string, unknown>
  try {
    value = parseToml(text) as Record<string, unknown>
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    const problem = error.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '')
    throw new WranglerConfigError(file, `invalid TOML: ${problem}\n${error.codeblock}`.trimEnd(), error.line, error.column)
  }
  return {
    file,
    value,
    where: () => displayPath(file),
    fail: (path, message) => new WranglerConfigError(file, `${formatKeyPath(path)}: ${message}`),
  }
}

function parseJsonSource(file: string, text: string): WranglerSource {
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false })
  const first = errors[0]
  if (first) {
    const { line, column } = lineColumn(text, first.offset)
    throw new WranglerConfigError(file, `invalid JSON: ${describeJsonError(printParseErrorCode(first.error))}`, line, column)
  }
  if (!tree || tree.type !== 'object') {
    throw new WranglerConfigError(file, 'expected a JSON object at the top level', 1, 1)
  }
  const position = (path: KeyPath) => {
    const node = nodeAt(tree, path)
    return node ? lineColumn(text, node.offset) : undefined
  }
  return {
    file,
    value: toValue(tree) as Record<string, unknown>,
    where(path) {
      const at = position(path)
      return at ? `${displayPath(file)}:${at.line}:${at.column}` : displayPath(file)
    },
    fail(path, message) {
      const at = position(path)
      return new WranglerConfigError(file, `${formatKeyPath(path)}: ${message}`, at?.line, at?.column)
    },
  }
}

/** The property's key node when the path ends in a key, so "unknown key" points at the key. */
function nodeAt(tree: Node, path: KeyPath): Node | undefined {
  const node = findNodeAtLocation(tree, [...path])
  if (node && node.parent?.type === 'property') return node.parent.children?.[0] ?? node
  return node
}

/** jsonc-parser's getNodeValue, but keeping duplicate keys' last value like JSON.parse. */
function toValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const object: Record<string, unknown> = {}
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? []
        if (key && value) object[key.value as string] = toValue(value)
      }
      return object
    }
    case 'array': return (node.children ?? []).map(toValue)
    default: return node.value
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/** "ValueExpected" → "value expected". */
function describeJsonError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
}

/** ["durable_objects", "bindings", 0, "name"] → "durable_objects.bindings[0].name". */
export function formatKeyPath(path: KeyPath): string {
  return path.map((part, index) => typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`).join('')
}
