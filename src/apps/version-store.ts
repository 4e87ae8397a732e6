import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { AppBuild } from './bundle.js'
import { writeFileAtomic, writeFileSynced } from './durable-file.js'

/** What manifest.json of a version holds. */
export interface VersionManifest {
  version: number
  createdAt: string
  /** "sha256:…" over the code and every module (names, types, bytes): equal builds, equal hash. */
  sourceHash: string
  /** Size of the code and modules in bytes. */
  bytes: number
  durableObjects: AppBuild['durableObjects']
  vars: Record<string, string>
}

export interface VersionInfo {
  version: number
  createdAt: string
  current: boolean
}

/** A site or version the store does not have. */
export class UnknownVersionError extends Error {
  constructor(readonly site: string, readonly version: number) {
    super(`site "${site}" has no version ${version}`)
    this.name = 'UnknownVersionError'
  }
}

type StoredModules = Record<string, { type: 'text'; value: string } | { type: 'data'; file: string }>

const SITE_NAME = /^[A-Za-z0-9_.-]+$/
const STALE_TEMPORARY_MS = 3_600_000

/**
 * The deployed versions of each app site, on disk:
 * `<dataDir>/apps/<site>/versions/<n>/` (bundle.js, modules.json, modules/<i>.bin,
 * manifest.json) and `<dataDir>/apps/<site>/current` (the running version's number). A version
 * is written under a temporary name and renamed into place, so a half-written version is never
 * seen; `current` is replaced atomically. The newest `keep` versions (and the current one) are
 * kept; version numbers are never reused, even after a discard.
 */
export class VersionStore {
  #dataDir: string
  #keep: number
  /** Per-site queue: save, prune, setCurrent and discard of one site run one at a time. */
  #queues = new Map<string, Promise<unknown>>()

  constructor(dataDir: string, options: { keep?: number } = {}) {
    this.#dataDir = path.resolve(dataDir)
    this.#keep = options.keep ?? 20
  }

  /** Stores a build as a new version (not made current) and returns its number. */
  save(site: string, build: AppBuild): Promise<number> {
    return this.#serial(site, async () => {
      const versions = this.#versionsDir(site)
      await mkdir(versions, { recursive: true })
      await this.#removeStaleTemporaries(versions)
      const temporary = path.join(versions, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
      await mkdir(temporary)
      try {
        let version = Math.max(await this.#lastVersion(site), ...(await this.#numbers(site))) + 1
        await writeVersion(temporary, version, build)
        // rename(2) of a directory fails when the target exists: another process took the number.
        for (let attempt = 0; ; attempt++) {
          try {
            await rename(temporary, path.join(versions, String(version)))
            break
          } catch (error) {
            if (attempt >= 100 || !['EEXIST', 'ENOTEMPTY', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
            version++
            await writeFileAtomic(path.join(temporary, 'manifest.json'), JSON.stringify({ ...(await readManifestAt(temporary)), version }, null, 2))
          }
        }
        await writeFileAtomic(path.join(this.#siteDir(site), 'last-version'), `${version}\n`)
        await this.#prune(site)
        return version
      } finally {
        await rm(temporary, { recursive: true, force: true })
      }
    })
  }

  async load(site: string, version: number): Promise<AppBuild> {
    const dir = this.#versionDir(site, version)
    const manifest = await this.manifest(site, version)
    const stored = JSON.parse(await readFile(path.join(dir, 'modules.json'), 'utf8')) as StoredModules
    const modules: AppBuild['modules'] = {}
    for (const [key, entry] of Object.entries(stored)) {
      modules[key] = entry.type === 'text' ? entry : { type: 'data', value: new Uint8Array(await readFile(path.join(dir, entry.file))) }
    }
    const code = await readFile(path.join(dir, 'bundle.js'), 'utf8')
    return { code, modules, durableObjects: manifest.durableObjects, vars: manifest.vars }
  }

  /** manifest.json of a version; UnknownVersionError when there is no such version. */
  async manifest(site: string, version: number): Promise<VersionManifest> {
    try {
      return await readManifestAt(this.#versionDir(site, version))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UnknownVersionError(site, version)
      throw error
    }
  }

  async current(site: string): Promise<number | undefined> {
    try {
      const version = Number((await readFile(path.join(this.#siteDir(site), 'current'), 'utf8')).trim())
      return Number.isSafeInteger(version) && version > 0 ? version : undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  setCurrent(site: string, version: number): Promise<void> {
    return this.#serial(site, async () => {
      await this.manifest(site, version)
      await writeFileAtomic(path.join(this.#siteDir(site), 'current'), `${version}\n`)
    })
  }

  /** Every stored version, newest first. */
  async list(site: string): Promise<VersionInfo[]> {
    const current = await this.current(site)
    const numbers = (await this.#numbers(site)).sort((a, b) => b - a)
    const infos: VersionInfo[] = []
    for (const version of numbers) {
      const manifest = await this.manifest(site, version).catch(() => undefined)
      if (manifest) infos.push({ version, createdAt: manifest.createdAt, current: version === current })
    }
    return infos
  }

  /** The newest stored version older than the current one: where a rollback goes. */
  async previous(site: string): Promise<number | undefined> {
    const current = await this.current(site)
    if (current === undefined) return undefined
    return (await this.#numbers(site)).filter((version) => version < current).sort((a, b) => b - a)[0]
  }

  /** Sites with at least one stored version, sorted. */
  async sites(): Promise<string[]> {
    const entries = await readdir(path.join(this.#dataDir, 'apps'), { withFileTypes: true }).catch(() => [])
    const sites: string[] = []
    for (const entry of entries) {
      if (entry.isDirectory() && SITE_NAME.test(entry.name) && (await this.#numbers(entry.name)).length > 0) sites.push(entry.name)
    }
    return sites.sort()
  }

  /** Deletes a version that was refused (failed to load). The current version cannot be discarded. */
  discard(site: string, version: number): Promise<void> {
    return this.#serial(site, async () => {
      if ((await this.current(site)) === version) throw new Error(`version ${version} of site "${site}" is current and cannot be discarded`)
      await rm(this.#versionDir(site, version), { recursive: true, force: true })
    })
  }

  async #prune(site: string): Promise<void> {
    const current = await this.current(site)
    const old = (await this.#numbers(site)).sort((a, b) => b - a).slice(this.#keep).filter((version) => version !== current)
    for (const version of old) await rm(this.#versionDir(site, version), { recursive: true, force: true })
  }

  async #numbers(site: string): Promise<number[]> {
    const names = await readdir(this.#versionsDir(site)).catch(() => [] as string[])
    return names.filter((name) => /^[1-9]\d*$/.test(name)).map(Number)
  }

  async #lastVersion(site: string): Promise<number> {
    const text = await readFile(path.join(this.#siteDir(site), 'last-version'), 'utf8').catch(() => '0')
    const version = Number(text.trim())
    return Number.isSafeInteger(version) && version > 0 ? version : 0
  }

  /** Temporaries left by a process that died while saving (a live save takes well under an hour). */
  async #removeStaleTemporaries(versions: string): Promise<void> {
    for (const name of await readdir(versions)) {
      if (!name.startsWith('.tmp-')) continue
      const info = await stat(path.join(versions, name)).catch(() => undefined)
      if (info && Date.now() - info.mtimeMs > STALE_TEMPORARY_MS) await rm(path.join(versions, name), { recursive: true, force: true })
    }
  }

  #siteDir(site: string): string {
    if (!SITE_NAME.test(site) || site === '.' || site === '..') throw new Error(`invalid site name ${JSON.stringify(site)}: expected letters, digits, "_", "." or "-"`)
    return path.join(this.#dataDir, 'apps', site)
  }

  #versionsDir(site: string): string {
    return path.join(this.#siteDir(site), 'versions')
  }

  #versionDir(site: string, version: number): string {
    if (!Number.isSafeInteger(version) || version < 1) throw new UnknownVersionError(site, version)
    return path.join(this.#versionsDir(site), String(version))
  }

  #serial<T>(site: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(site) ?? Promise.resolve()
    const run = previous.then(task, task)
    const settled = run.catch(() => undefined)
    this.#queues.set(site, settled)
    void settled.then(() => { if (this.#queues.get(site) === settled) this.#queues.delete(site) })
    return run
  }
}

async function writeVersion(dir: string, version: number, build: AppBuild): Promise<void> {
  const stored: StoredModules = {}
  const keys = Object.keys(build.modules).sort()
  if (keys.some((key) => build.modules[key]!.type === 'data')) await mkdir(path.join(dir, 'modules'))
  for (const [index, key] of keys.entries()) {
    const module = build.modules[key]!
    if (module.type === 'text') {
      stored[key] = module
    } else {
      stored[key] = { type: 'data', file: `modules/${index}.bin` }
      await writeFileSynced(path.join(dir, stored[key].file), module.value)
    }
  }
  await writeFileSynced(path.join(dir, 'bundle.js'), build.code)
  await writeFileSynced(path.join(dir, 'modules.json'), JSON.stringify(stored))
  const manifest: VersionManifest = {
    version,
    createdAt: new Date().toISOString(),
    ...sourceDigest(build),
    durableObjects: build.durableObjects,
    vars: build.vars,
  }
  await writeFileSynced(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2))
}

async function readManifestAt(dir: string): Promise<VersionManifest> {
  return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as VersionManifest
}

/** Length-prefixed pieces, so that no two different builds feed the hash the same bytes. */
export function sourceDigest(build: Pick<AppBuild, 'code' | 'modules'>): { sourceHash: string; bytes: number } {
  const hash = createHash('sha256')
  let bytes = 0
  const add = (piece: string | Uint8Array) => {
    const data = typeof piece === 'string' ? Buffer.from(piece) : piece
    hash.update(`${data.byteLength}:`).update(data)
    return data.byteLength
  }
  bytes += add(build.code)
  for (const key of Object.keys(build.modules).sort()) {
    const module = build.modules[key]!
    add(key)
    add(module.type)
    bytes += add(module.value)
  }
  return { sourceHash: `sha256:${hash.digest('hex')}`, bytes }
}
