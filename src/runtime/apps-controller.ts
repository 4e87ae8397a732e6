import type { AppBuild } from '../apps/bundle.js'
import type { VersionStore, VersionInfo } from '../apps/version-store.js'
import { NoPreviousVersionError, UnknownSiteError, type AppSummary, type AppsController } from '../admin/apps-controller.js'
import type { AppHost } from './app-host.js'

export interface AppsControllerContext {
  versions: VersionStore
  /** The running AppHost of an app site. */
  host(site: string): AppHost | undefined
  /** Names of the app sites. */
  sites(): string[]
}

/**
 * The admin API's view of the apps: a deploy stores the build as a new version, loads it
 * into the site's AppHost and only then marks it current; a version that fails to load is
 * discarded and the error returned (the old version keeps running). Rollback reloads a
 * stored version the same way.
 */
export class RuntimeAppsController implements AppsController {
  readonly #context: AppsControllerContext

  constructor(context: AppsControllerContext) {
    this.#context = context
  }

  async list(): Promise<AppSummary[]> {
    const summaries: AppSummary[] = []
    for (const site of this.#context.sites().sort()) {
      const infos = await this.#context.versions.list(site)
      summaries.push({ site, version: this.#context.host(site)?.stats().version ?? (await this.#context.versions.current(site)) ?? null, versions: infos.map((info) => info.version) })
    }
    return summaries
  }

  async deploy(site: string, build: AppBuild): Promise<{ version: number }> {
    const host = this.#host(site)
    const version = await this.#context.versions.save(site, build)
    try {
      await host.deploy(build, version)
    } catch (error) {
      await this.#context.versions.discard(site, version).catch(() => {})
      throw error
    }
    await this.#context.versions.setCurrent(site, version)
    return { version }
  }

  async rollback(site: string, version?: number): Promise<{ version: number }> {
    const host = this.#host(site)
    const target = version ?? await this.#context.versions.previous(site)
    if (target === undefined) throw new NoPreviousVersionError(site, await this.#context.versions.current(site))
    const build = await this.#context.versions.load(site, target)
    await host.deploy(build, target)
    await this.#context.versions.setCurrent(site, target)
    return { version: target }
  }

  versions(site: string): Promise<VersionInfo[]> {
    this.#host(site)
    return this.#context.versions.list(site)
  }

  #host(site: string): AppHost {
    const host = this.#context.host(site)
    if (!host) throw new UnknownSiteError(site)
    return host
  }
}
