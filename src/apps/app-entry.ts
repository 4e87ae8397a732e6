import { access } from 'node:fs/promises'
import path from 'node:path'
import { findWranglerFile } from './wrangler-config.js'

/** Entry modules looked for in an app directory without a wrangler file, in this order. */
export const ENTRY_FILE_NAMES = ['src/index.ts', 'src/index.js', 'index.ts', 'index.js'] as const

/**
 * What to build in an app directory: its wrangler file if it has one (wrangler.json,
 * wrangler.jsonc, wrangler.toml), else the first entry module found. Paths are absolute;
 * undefined when the directory has neither.
 */
export async function findAppEntry(dir: string, onWarning?: (message: string) => void): Promise<{ wrangler: string } | { main: string } | undefined> {
  const wrangler = await findWranglerFile(dir, onWarning)
  if (wrangler !== undefined) return { wrangler: path.resolve(wrangler) }
  for (const name of ENTRY_FILE_NAMES) {
    const file = path.resolve(dir, name)
    if (await access(file).then(() => true, () => false)) return { main: file }
  }
  return undefined
}
