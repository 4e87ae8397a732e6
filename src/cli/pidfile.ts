import { readFileSync, rmSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

/** Where `wedge start` records its pid, so that `wedge reload` can signal it. */
export function pidfilePath(dataDir: string): string {
  return path.join(dataDir, 'wedge.pid')
}

/** The pid in the file, or undefined when there is no file or it holds no pid. */
export async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Writes this process's pid. Refuses when the file names another live process: two edges
 * sharing a data_dir would make `wedge reload` signal the wrong one.
 */
export async function writePidfile(file: string): Promise<void> {
  const existing = await readPid(file)
  if (existing !== undefined && existing !== process.pid && isRunning(existing)) {
    throw new Error(`another edge is running with this data_dir (pid ${existing} in ${file}); stop it or set a different data_dir`)
  }
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, `${process.pid}\n`)
}

/** Removes the pidfile if it is still ours. */
export async function removePidfile(file: string): Promise<void> {
  if ((await readPid(file).catch(() => undefined)) === process.pid) await rm(file, { force: true })
}

/** removePidfile for the moment the process is about to exit and cannot wait. */
export function removePidfileSync(file: string): void {
  try {
    if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) rmSync(file, { force: true })
  } catch {
    // Already gone, or never ours: nothing to clean up.
  }
}
