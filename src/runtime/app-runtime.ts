import path from 'node:path'
import type { Logger } from 'pino'
import type { RuntimeConfig } from '../config/app-schema.js'
import type { SiteConfig } from '../config/schema.js'
import { buildApp } from '../apps/bundle.js'
import { VersionStore } from '../apps/version-store.js'
import { openSqliteStorage } from '../storage/app-storage.js'
import type { AppsController } from '../admin/apps-controller.js'
import { AppHost } from './app-host.js'
import type { AppSiteConfig } from './app-manifest.js'
import { RunnerPool } from './runner-pool.js'
import { RuntimeCounters } from './runtime-counters.js'
import { OutboundFetch } from './outbound-fetch.js'
import { RuntimeAppsController } from './apps-controller.js'
import type { ObjectDirectory } from './object-directory.js'

export interface AppRuntimeOptions {
  dataDir: string
  runtime: RuntimeConfig
  logger: Logger
  /** Where `app.main` / `app.wrangler` are relative to (the config file's directory). */
  baseDir?: string
  directory?: ObjectDirectory
  /** The runner entry module (tests); default dist/src/runner/runner-main.js. */
  runnerModule?: string
}

/**
 * Origin-less apps of one edge: the runner pool (started with the first app site), the
 * version store, one AppHost per app site, and the AppsController for the admin API.
 *
 * At start a site runs the version marked current in the version store when there is one:
 * a version deployed with `wedge deploy` (or the admin API) wins over the config's
 * `main`/`wrangler` across restarts. Without one, the app is built from the config and
 * stored as the first version. A config reload that changes the site's `app:` section is
 * a deploy: it builds, stores and switches to a new version without dropping sockets.
 */
export class AppRuntime {
  readonly counters = new RuntimeCounters()
  readonly versions: VersionStore
  readonly controller: AppsController
  readonly #options: AppRuntimeOptions
  readonly #hosts = new Map<string, AppHost>()
  readonly #outbound = new OutboundFetch()
  #pool: RunnerPool | undefined

  constructor(options: AppRuntimeOptions) {
    this.#options = options
    this.versions = new VersionStore(options.dataDir)
    this.controller = new RuntimeAppsController({ versions: this.versions, host: (site) => this.host(site), sites: () => [...this.#hosts.keys()] })
  }

  /** The running AppHost of a site, if it is an app site. */
  host(site: string): AppHost | undefined {
    const host = this.#hosts.get(site)
    return host?.running ? host : undefined
  }

  /** The pool's runners (pids for tests and diagnostics). */
  runners(): ReturnType<RunnerPool['runners']> {
    return this.#pool?.runners() ?? []
  }

  /** Starts an app site: the current stored version, else a build of the config. */
  async open(site: AppSiteConfig): Promise<AppHost> {
    await this.#hosts.get(site.name)?.stop()
    const storage = openSqliteStorage(path.join(path.resolve(this.#options.dataDir), 'apps', site.name, 'storage.sqlite'))
    const host = new AppHost({
      site, appId: site.name, runners: this.#poolFor(), storage,
      logger: this.#options.logger, counters: this.counters, outbound: this.#outbound,
      ...(this.#options.directory ? { directory: this.#options.directory } : {}),
    })
    try {
      const current = await this.versions.current(site.name)
      if (current !== undefined) {
        await host.start(await this.versions.load(site.name, current), current)
      } else {
        const build = await buildApp(site.app, this.#baseDir(), { onWarning: (message) => this.#options.logger.warn({ site: site.name }, message) })
        const version = await this.versions.save(site.name, build)
        await host.start(build, version)
        await this.versions.setCurrent(site.name, version)
      }
    } catch (error) {
      await host.stop()
      throw error
    }
    this.#hosts.set(site.name, host)
    return host
  }

  /**
   * A reload kept the site: apply its new config. A changed `app:` section is built and
   * deployed; when that fails the running version stays and the error is logged.
   */
  async reconfigure(host: AppHost, site: SiteConfig): Promise<void> {
    const app = site.app
    if (!app) return
    const next = site as AppSiteConfig
    const changed = JSON.stringify(host.site.app) !== JSON.stringify(app)
    host.updateSite(next)
    if (!changed) return
    let version: number | undefined
    try {
      const build = await buildApp(app, this.#baseDir(), { onWarning: (message) => this.#options.logger.warn({ site: site.name }, message) })
      version = await this.versions.save(site.name, build)
      await host.deploy(build, version)
      await this.versions.setCurrent(site.name, version)
    } catch (error) {
      this.#options.logger.error({ err: error, site: site.name }, 'app config changed but the new app was refused: the running version stays')
      if (version !== undefined) await this.versions.discard(site.name, version).catch(() => {})
    }
  }

  /** Stops every app and the runners (edge stop). */
  async stop(): Promise<void> {
    await Promise.all([...this.#hosts.values()].map((host) => host.stop()))
    this.#hosts.clear()
    await this.#pool?.stop()
    await this.#outbound.close().catch(() => {})
  }

  #poolFor(): RunnerPool {
    this.#pool ??= new RunnerPool({
      config: this.#options.runtime,
      logger: this.#options.logger,
      counters: this.counters,
      ...(this.#options.runnerModule ? { runnerModule: this.#options.runnerModule } : {}),
    })
    return this.#pool
  }

  #baseDir(): string {
    return this.#options.baseDir ?? process.cwd()
  }
}
