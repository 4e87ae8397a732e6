import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { stringify } from 'yaml'
import { z } from 'zod'
import { defaultConfigInput } from './default-config.js'
import { ConfigError } from './config-error.js'
import { INTRO, OUTRO, SAMPLE_CONFIG } from './docs-prose.js'
import { loadConfigText } from './load.js'
import { objectSchemasOf, typeText, unwrap } from './schema-walk.js'
import { configSchema } from './schema.js'

/**
 * Generates docs/configuration.md from the schema: every key with its type, default and
 * `.describe()` text. A test fails when the committed file differs from this output.
 * Run `node dist/src/config/docs.js --write` after changing the schema.
 */

/** One key of one mapping, as a table row. */
export interface KeyDoc {
  /** Full path with `[]` for list items: "sites[].ws.ping_timeout". */
  path: string
  key: string
  type: string
  default: string
  description: string | undefined
}

interface Section {
  path: string
  description: string | undefined
  keys: KeyDoc[]
}

export const DOC_PATH = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url))

export function renderConfigurationDoc(): string {
  const sections = collectSections(configSchema, '', undefined)
  const reference = sections.map(renderSection).join('\n')
  const builtin = stringify(defaultConfigInput()).trimEnd()
  const intro = INTRO.replace('SAMPLE_CONFIG', SAMPLE_CONFIG).replace('SAMPLE_ERRORS', sampleErrors())
  return `${intro}\n${reference}\n${OUTRO.replace('BUILTIN_CONFIG', builtin)}`
}

/** The real messages for the sample config, so the docs cannot drift from the code. */
function sampleErrors(): string {
  try {
    loadConfigText(SAMPLE_CONFIG, '/etc/wedge/wedge.yaml', { env: {} })
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  throw new Error('the sample config in docs-prose.ts is valid: it should show mistakes')
}

/** Every key of every mapping in the schema, depth first (used by the docs and their tests). */
export function allKeyDocs(): KeyDoc[] {
  return collectSections(configSchema, '', undefined).flatMap((section) => section.keys)
}

function collectSections(schema: z.ZodObject, path: string, description: string | undefined): Section[] {
  const section: Section = { path, description, keys: [] }
  const nested: Section[] = []
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const unwrapped = unwrap(field)
    const isList = unwrapped.schema instanceof z.ZodArray
    const childPath = `${path === '' ? '' : `${path}.`}${key}${isList ? '[]' : ''}`
    const objects = objectSchemasOf(field)
    section.keys.push({
      path: `${path === '' ? '' : `${path}.`}${key}`,
      key,
      type: typeText(field) + (objects.length > 0 ? ` ([below](#${anchor(childPath)}))` : ''),
      default: defaultText(field, objects.length > 0),
      description: unwrapped.description,
    })
    for (const object of objects) nested.push(...collectSections(object, childPath, unwrapped.description))
  }
  return [section, ...nested]
}

function defaultText(field: z.ZodType, isObject: boolean): string {
  const { hasDefault, defaultValue, optional, typeName } = unwrap(field)
  if (!hasDefault) return optional ? '—' : '*required*'
  if (isObject) return '(each key\'s default)'
  if (typeName?.format) return `\`${typeName.format(defaultValue)}\``
  return `\`${JSON.stringify(defaultValue)}\``
}

function renderSection(section: Section): string {
  const title = section.path === '' ? 'Top level' : `\`${section.path}\``
  const lines = [`### ${title}`, '']
  if (section.description) lines.push(section.description, '')
  lines.push('| Key | Type | Default | Description |', '| --- | --- | --- | --- |')
  for (const key of section.keys) {
    lines.push(`| \`${key.key}\` | ${cell(key.type)} | ${cell(key.default)} | ${cell(key.description ?? '')} |`)
  }
  return `${lines.join('\n')}\n`
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens. */
function anchor(path: string): string {
  return `\`${path}\``.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replaceAll(' ', '-')
}

async function run(argv: string[]): Promise<number> {
  const rendered = renderConfigurationDoc()
  if (argv.includes('--write')) {
    await writeFile(DOC_PATH, rendered)
    process.stdout.write(`wrote ${DOC_PATH}\n`)
    return 0
  }
  const current = await readFile(DOC_PATH, 'utf8').catch(() => '')
  if (current === rendered) return 0
  process.stderr.write(`${DOC_PATH} is out of date: run "node dist/src/config/docs.js --write"\n`)
  return 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await run(process.argv.slice(2))
}
