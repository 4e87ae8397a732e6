import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import { ConfigError } from './config-error.js'
import { findJsonSyntaxError } from './json-syntax.js'

export type ConfigFormat = 'yaml' | 'json'

export interface Position {
  line: number
  column: number
}

export interface ParsedText {
  value: unknown
  /** Where a key path is written in the file (the key itself, or the nearest parent that exists). */
  positionOf(path: ReadonlyArray<PropertyKey>): Position | undefined
}

/** ".json" is JSON; ".yaml", ".yml" and anything else is YAML (which also reads most JSON). */
export function formatOf(file: string): ConfigFormat {
  return file.toLowerCase().endsWith('.json') ? 'json' : 'yaml'
}

/** Parses config text; a syntax error is a ConfigError whose issue carries line and column. */
export function parseConfigText(text: string, format: ConfigFormat, source?: string): ParsedText {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  return format === 'json' ? parseJson(body, source) : parseYaml(body, source)
}

function parseYaml(text: string, source: string | undefined): ParsedText {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const error = document.errors[0]
  if (error) {
    // Only the first error: the ones after it are usually the parser losing its footing.
    const { line, col } = lineCounter.linePos(error.pos[0])
    const lineText = text.split(/\r?\n/)[line - 1] ?? ''
    const hint = /\$\{/.test(lineText) && /[{[]/.test(lineText.replace(/\$\{[^}]*\}/g, ''))
      ? ' (inside { } or [ ], quote variable references: "${NAME}")'
      : ''
    throw new ConfigError([{ path: '', message: `YAML syntax error: ${error.message}${hint}`, line, column: col }], source)
  }
  return { value: document.toJS({ maxAliasCount: 1000 }), positionOf: (path) => locate(document.contents, path, lineCounter) }
}

function parseJson(text: string, source: string | undefined): ParsedText {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const found = findJsonSyntaxError(text)
    const lineCounter = new LineCounter()
    parseDocument(text, { lineCounter })
    const position = found ? lineCounter.linePos(found.offset) : undefined
    throw new ConfigError([{
      path: '',
      message: `JSON syntax error: ${found?.message ?? (error as Error).message}`,
      ...(position && { line: position.line, column: position.col }),
    }], source)
  }
  // JSON is (nearly) YAML 1.2, so the YAML parser can tell where each key is written.
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter })
  const usable = document.errors.length === 0
  return { value, positionOf: (path) => usable ? locate(document.contents, path, lineCounter) : undefined }
}

function locate(root: Node | null, path: ReadonlyArray<PropertyKey>, lineCounter: LineCounter): Position | undefined {
  let node: unknown = root
  let offset = root?.range?.[0]
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key))
      if (!pair) break
      offset = (pair.key as Node).range?.[0] ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key]
      offset = (node as Node).range?.[0] ?? offset
    } else {
      break
    }
  }
  if (offset === undefined) return undefined
  const { line, col } = lineCounter.linePos(offset)
  return { line, column: col }
}
