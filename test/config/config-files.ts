import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { ConfigError, type ConfigIssue } from '../../src/config/config-error.js'
import { loadConfigFile, type LoadOptions } from '../../src/config/load.js'
import type { ResolvedConfig } from '../../src/config/schema.js'

/** A temp directory for this test file's configs, removed after the file's tests. */
export function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wedge-config-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

let counter = 0

/** Writes `text` to a new file in `dir` and loads it for real (file read, TLS files checked). */
export async function loadText(dir: string, text: string, options: LoadOptions & { extension?: string } = {}): Promise<ResolvedConfig> {
  const file = join(dir, `config-${++counter}${options.extension ?? '.yaml'}`)
  writeFileSync(file, text)
  return loadConfigFile(file, { env: {}, ...options })
}

/** Loads `text` and returns the ConfigError it must cause (the test fails if it loads). */
export async function issuesOf(dir: string, text: string, options: LoadOptions & { extension?: string } = {}): Promise<{ error: ConfigError; issues: ConfigIssue[]; byPath: Map<string, ConfigIssue[]> }> {
  try {
    await loadText(dir, text, options)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const byPath = new Map<string, ConfigIssue[]>()
    for (const issue of error.issues) byPath.set(issue.path, [...(byPath.get(issue.path) ?? []), issue])
    return { error, issues: error.issues, byPath }
  }
  throw new Error(`expected this config to be refused:\n${text}`)
}

/** The one message at `path` (fails when there is none or several). */
export function messageAt(result: { byPath: Map<string, ConfigIssue[]>; error: Error }, path: string): string {
  const found = result.byPath.get(path)
  if (!found || found.length !== 1) throw new Error(`expected one issue at ${path}, got ${found?.length ?? 0}:\n${result.error.message}`)
  return found[0]!.message
}

/** A valid site to build bad configs around. */
export const SITE = `  - name: app
    origins: ["http://127.0.0.1:9000"]
`
