import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after } from 'node:test'

/** A temporary directory removed after the test file's tests. */
export function tempDir(prefix: string): { root: string; path(name: string): string; write(name: string, text: string): string } {
  const root = mkdtempSync(path.join(tmpdir(), prefix))
  after(() => rmSync(root, { recursive: true, force: true }))
  return {
    root,
    path: (name) => path.join(root, name),
    write(name, text) {
      const file = path.join(root, name)
      mkdirSync(path.dirname(file), { recursive: true })
      writeFileSync(file, text)
      return file
    },
  }
}
