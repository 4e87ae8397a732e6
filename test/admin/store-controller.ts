import { transform } from 'esbuild'
import type { AppBuild } from '../../src/apps/bundle.js'
import { VersionStore } from '../../src/apps/version-store.js'
import { NoPreviousVersionError, UnknownSiteError, type AppsController, type AppSummary, type VersionInfo } from '../../src/admin/apps-controller.js'

/**
 * An AppsController over a real VersionStore without runners: "loading" a version parses its
 * code as an ES module (esbuild), so a bundle with a syntax error is refused like a runner
 * would refuse it, and the refused version is discarded.
 */
export class StoreController implements AppsController {
  readonly store: VersionStore
  #sites: readonly string[]

  constructor(dataDir: string, sites: readonly string[]) {
    this.store = new VersionStore(dataDir)
    this.#sites = sites
  }

  async list(): Promise<AppSummary[]> {
    return Promise.all(this.#sites.map(async (site) => ({
      site,
      version: (await this.store.current(site)) ?? null,
      versions: (await this.store.list(site)).map((info) => info.version),
    })))
  }

  async deploy(site: string, build: AppBuild): Promise<{ version: number }> {
    this.#check(site)
    const version = await this.store.save(site, build)
    try {
      await load(build)
    } catch (error) {
      await this.store.discard(site, version)
      throw error
    }
    await this.store.setCurrent(site, version)
    return { version }
  }

  async rollback(site: string, version?: number): Promise<{ version: number }> {
    this.#check(site)
    const target = version ?? await this.store.previous(site)
    if (target === undefined) throw new NoPreviousVersionError(site, await this.store.current(site))
    await load(await this.store.load(site, target))
    await this.store.setCurrent(site, target)
    return { version: target }
  }

  async versions(site: string): Promise<VersionInfo[]> {
    this.#check(site)
    return this.store.list(site)
  }

  #check(site: string): void {
    if (!this.#sites.includes(site)) throw new UnknownSiteError(site)
  }
}

async function load(build: AppBuild): Promise<void> {
  try {
    await transform(build.code, { format: 'esm', loader: 'js', logLevel: 'silent' })
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0]
    throw new Error(first ? `app failed to load: ${first.text} (bundle.js:${first.location?.line}:${first.location?.column})` : String(error))
  }
}
