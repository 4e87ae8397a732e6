import type { AppManifest } from './runner-protocol.js'

interface VersionState {
  manifest: AppManifest
  /** 'accept'-mode sockets served by this version's isolate: it stays loaded while any is open. */
  acceptSockets: number
}

/** The versions of one app that are loaded (or loading) in its runner. */
export class AppVersions {
  readonly #versions = new Map<number, VersionState>()
  #classCache: { key: string; classes: ReadonlySet<string> } | undefined

  has(version: number): boolean {
    return this.#versions.has(version)
  }

  manifest(version: number): AppManifest | undefined {
    return this.#versions.get(version)?.manifest
  }

  numbers(): number[] {
    return [...this.#versions.keys()]
  }

  /** Adds (or replaces the manifest of) a version, keeping its socket count. */
  set(manifest: AppManifest): void {
    const acceptSockets = this.#versions.get(manifest.version)?.acceptSockets ?? 0
    this.#versions.set(manifest.version, { manifest, acceptSockets })
  }

  delete(version: number): void {
    this.#versions.delete(version)
  }

  clear(): void {
    this.#versions.clear()
  }

  acceptOpened(version: number): void {
    const state = this.#versions.get(version)
    if (state) state.acceptSockets++
  }

  acceptClosed(version: number): void {
    const state = this.#versions.get(version)
    if (state) state.acceptSockets = Math.max(0, state.acceptSockets - 1)
  }

  /** True when nothing needs the version any more (not current, no 'accept'-mode socket). */
  unused(version: number, current: number): boolean {
    const state = this.#versions.get(version)
    return state !== undefined && version !== current && state.acceptSockets === 0
  }

  /** The runner died: its isolates, and every version but the current one, are gone. */
  keepOnly(current: number): void {
    for (const [version, state] of this.#versions) {
      state.acceptSockets = 0
      if (version !== current) this.#versions.delete(version)
    }
  }

  /** Durable Object classes of the loaded versions: storage rpc addresses only these. */
  classes(): ReadonlySet<string> {
    const key = [...this.#versions.keys()].join(',')
    if (this.#classCache?.key !== key) {
      const names = [...this.#versions.values()].flatMap((state) => state.manifest.durableObjects.map((binding) => binding.className))
      this.#classCache = { key, classes: new Set(names) }
    }
    return this.#classCache.classes
  }
}
