import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import type { WebSocketServer } from 'ws'
import type { AppBuild } from '../apps/bundle.js'
import type { AppStorage } from '../storage/app-storage.js'
import { ObjectStorage } from './object-storage.js'
import { ErrorCatalogue } from '../errors.js'
import { RUNNER_DEFAULTS, type ObjectAddress, type RunnerToGateway, type WireRequest, type WireResponse } from './runner-protocol.js'
import type { EventDone, RunnerProcess } from './runner-process.js'
import type { RunnerClient, RunnerPool } from './runner-pool.js'
import { EventRouter } from './event-router.js'
import { SocketTable } from './socket-table.js'
import { SocketIo, type AppUpgradeHooks } from './socket-io.js'
import { LocalObjectDirectory, type ObjectDirectory } from './object-directory.js'
import { OutboundFetch } from './outbound-fetch.js'
import { RuntimeCounters } from './runtime-counters.js'
import { answerRpc } from './app-rpc.js'
import { AppVersions } from './app-versions.js'
import { fetchEvent, type FetchEventContext } from './fetch-event.js'
import { logAppLine, logEventOutcome } from './app-logs.js'
import { toManifest, type AppSiteConfig } from './app-manifest.js'
import { createAppWss, serveAppRequest, serveAppUpgrade, type FetchResult } from './app-site.js'

export interface AppHostOptions {
  site: AppSiteConfig
  appId: string
  runners: RunnerPool
  storage: AppStorage
  logger: Logger
  counters?: RuntimeCounters
  directory?: ObjectDirectory
  outbound?: OutboundFetch
}

let nextHost = 0
const STOP_DRAIN_MS = 1_000

/**
 * The gateway side of one app site: its versions (deploy switch), the link to its runner
 * (events, commands, rpc), its objects and client sockets, storage commits and alarms.
 */
export class AppHost implements RunnerClient {
  readonly appId: string
  readonly socketPrefix = `a${(++nextHost).toString(36)}`
  #site: AppSiteConfig
  readonly #pool: RunnerPool
  readonly #storage: AppStorage
  readonly #logger: Logger
  readonly #counters: RuntimeCounters
  readonly #outbound: OutboundFetch
  readonly #ownsOutbound: boolean
  readonly #versions = new AppVersions()
  readonly #sockets: SocketTable
  readonly #router: EventRouter
  readonly #io: SocketIo
  readonly #objectStorage: ObjectStorage
  #wss: WebSocketServer
  #runner: RunnerProcess | undefined
  #deploying: Promise<unknown> = Promise.resolve()
  #state: 'new' | 'running' | 'retiring' | 'stopped' = 'new'

  constructor(options: AppHostOptions) {
    this.appId = options.appId
    this.#site = options.site
    this.#pool = options.runners
    this.#storage = options.storage
    this.#logger = options.logger
    this.#counters = options.counters ?? new RuntimeCounters()
    this.#ownsOutbound = !options.outbound
    this.#outbound = options.outbound ?? new OutboundFetch()
    this.#sockets = new SocketTable(this.socketPrefix)
    this.#router = new EventRouter({
      appId: this.appId,
      sockets: this.#sockets,
      directory: options.directory ?? new LocalObjectDirectory(),
      counters: this.#counters,
      logger: this.#logger,
      nextEventId: () => this.#pool.nextEventId(),
      commit: (object, entry) => this.#objectStorage.commit(object, entry),
    }, options.site.app.hibernate_after)
    this.#io = new SocketIo({
      site: () => this.#site.name,
      appId: this.appId,
      sockets: this.#sockets,
      router: this.#router,
      counters: this.#counters,
      logger: this.#logger,
      limits: () => ({ maxBuffered: this.#site.ws.max_buffered, slowReaderMs: this.#site.ws.slow_reader_timeout }),
      outcome: (entry, what, object) => this.#outcome(entry, what, object),
      acceptOpened: (version) => this.#versions.acceptOpened(version),
      acceptClosed: (version) => {
        this.#versions.acceptClosed(version)
        this.#unloadIfUnused(version)
      },
      removed: () => { if (this.#state === 'retiring' && this.#sockets.size === 0) void this.stop() },
    })
    this.#objectStorage = new ObjectStorage({
      appId: this.appId, site: () => this.#site.name, storage: this.#storage, router: this.#router,
      counters: this.#counters, logger: this.#logger, outcome: (entry, object) => this.#outcome(entry, 'alarm', object),
    })
    this.#wss = this.#createWss()
  }

  get site(): AppSiteConfig {
    return this.#site
  }

  get counters(): RuntimeCounters {
    return this.#counters
  }

  /** Started and not stopped (a retiring host still serves its open sockets). */
  get running(): boolean {
    return this.#state === 'running' || this.#state === 'retiring'
  }

  /** Loads the first version into a runner; throws (and keeps nothing) if it fails to load. */
  async start(build: AppBuild, version: number): Promise<void> {
    if (this.#state !== 'new') throw new Error(`app "${this.appId}" already started`)
    this.#runner = this.#pool.assign(this)
    this.#router.setRunner(this.#runner)
    try {
      await this.#loadVersion(build, version)
    } catch (error) {
      this.#pool.release(this.appId)
      this.#runner = undefined
      throw error
    }
    this.#state = 'running'
    this.#router.setCurrent(version)
    this.#objectStorage.start()
    this.#logger.info({ site: this.#site.name, app_version: version, runner: this.#runner?.id }, 'app started')
  }

  /**
   * Loads a new version and switches new events to it. Refused (throws, old version keeps
   * running) when it fails to load. Instances of the old version are evicted; hibernatable
   * sockets carry on with the new code; 'accept'-mode sockets keep the old isolate until they close.
   */
  deploy(build: AppBuild, version: number): Promise<void> {
    const run = this.#deploying.then(() => this.#deploy(build, version))
    this.#deploying = run.catch(() => {})
    return run
  }

  /** Adopts a site config whose app section did not change (ws limits, hosts, …). */
  updateSite(site: AppSiteConfig): void {
    const maxChanged = site.app.max_message_size !== this.#site.app.max_message_size
    this.#site = site
    this.#router.setHibernateAfter(site.app.hibernate_after)
    if (maxChanged) this.#wss = this.#createWss()
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https' = 'http', continuePending = false): void {
    void serveAppRequest({ fetch: (request) => this.fetch(request), logger: this.#logger, site: this.#site.name }, req, res, proto, continuePending)
  }

  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, proto: 'http' | 'https', hooks: AppUpgradeHooks): void {
    void serveAppUpgrade({ fetch: (request) => this.fetch(request), logger: this.#logger, site: this.#site.name, io: this.#io, wss: this.#wss }, req, socket, head, proto, hooks)
  }

  stats(): { version: number; liveObjects: number; sockets: number } {
    return { version: this.#router.current, liveObjects: this.#router.liveObjects, sockets: this.#sockets.size }
  }

  /** Runner pids etc. for tests and the admin API. */
  get runner(): RunnerProcess | undefined {
    return this.#runner
  }

  /** Site removed by a reload: keep serving open sockets, stop when the last one closes. */
  retire(): Promise<void> {
    if (this.#state === 'stopped') return Promise.resolve()
    if (this.#sockets.size === 0 || this.#state === 'new') return this.stop()
    this.#state = 'retiring'
    return Promise.resolve()
  }

  /** Closes every socket (1001), drops pending work, unloads from the runner, closes storage. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return
    this.#state = 'stopped'
    const { close, message } = ErrorCatalogue.WEDGE_SHUTTING_DOWN
    this.#io.closeWhere(() => true, close, message)
    this.#router.stop('app stopped')
    // Events already running (webSocketClose handlers of the sockets just closed…) may still commit.
    await this.#router.drained(STOP_DRAIN_MS)
    const runner = this.#runner
    if (runner) for (const version of this.#versions.numbers()) runner.send({ type: 'unload', appId: this.appId, version })
    this.#versions.clear()
    this.#runner = undefined
    this.#pool.release(this.appId)
    this.#wss.close()
    this.#objectStorage.close()
    if (this.#ownsOutbound) await this.#outbound.close().catch(() => {})
  }

  /** A fetch event to the stateless Worker (HTTP requests and upgrades of the site). */
  fetch(request: WireRequest): Promise<FetchResult> {
    return fetchEvent(this.#fetchContext(), undefined, request)
  }

  // ---- RunnerClient ----

  onRunnerEntry(entry: RunnerToGateway, runner: RunnerProcess): void {
    // While stopping, entries still count: events being drained may read storage or send.
    if (runner !== this.#runner) return
    switch (entry.type) {
      case 'rpc': return this.#rpc(entry.callId, entry.call, runner)
      case 'ws-send': return this.#io.send(entry.socketIds, entry.data)
      case 'ws-close': return this.#io.closeFromApp(entry.socketId, entry.code, entry.reason)
      case 'ws-attachment': return this.#io.setAttachment(entry.socketId, entry.value)
      case 'auto-response': return this.#setAutoResponse(entry.object, entry.pair)
      case 'instance-evicted': return this.#router.onEvicted(entry.object, entry.version)
      case 'isolate-restarted': return this.#isolateRestarted(entry.version, entry.reason)
      case 'log': return logAppLine(this.#logger, this.#site.name, entry)
      default:
    }
  }

  onRunnerLost(reason: string): void {
    this.#runner = undefined
    this.#router.setRunner(undefined)
    // In-memory listeners of 'accept'-mode sockets died with the runner (1012 service restart).
    this.#io.closeWhere((socket) => socket.mode === 'accept', ErrorCatalogue.WEDGE_APP_RESTARTED.close, ErrorCatalogue.WEDGE_APP_RESTARTED.message)
    this.#versions.keepOnly(this.#router.current)
    this.#logger.warn({ site: this.#site.name, reason }, 'app runner lost: reloading the app on a new runner')
  }

  onRunnerAssigned(runner: RunnerProcess): void {
    if (this.#state === 'stopped') return
    this.#runner = runner
    this.#router.setRunner(runner)
    const manifest = this.#versions.manifest(this.#router.current)
    if (!manifest) return
    runner.load(manifest).then(() => {
      if (this.#runner === runner) this.#router.markLoaded(manifest.version)
    }, (error: unknown) => {
      this.#logger.error({ err: error, site: this.#site.name, app_version: manifest.version }, 'app failed to load on the new runner')
    })
  }

  // ---- internals ----

  async #deploy(build: AppBuild, version: number): Promise<void> {
    if (this.#state === 'new') return this.start(build, version)
    if (this.#state === 'stopped') throw new Error(`app "${this.appId}" is stopped`)
    const previous = this.#router.current
    if (version === previous) return
    try {
      await this.#loadVersion(build, version)
    } catch (error) {
      this.#counters.deploysRefused++
      this.#logger.warn({ site: this.#site.name, app_version: version, err: error }, 'deploy refused: the new version failed to load')
      throw error
    }
    this.#router.setCurrent(version)
    this.#runner?.send({ type: 'evict-all', appId: this.appId, version: previous })
    this.#router.forgetInstances(previous)
    this.#counters.deploys++
    this.#logger.info({ site: this.#site.name, app_version: version, previous_version: previous }, 'app version deployed')
    this.#unloadIfUnused(previous)
  }

  async #loadVersion(build: AppBuild, version: number): Promise<void> {
    const runner = this.#runner
    if (!runner) throw new Error('the app runner is restarting; try again')
    if (this.#versions.has(version) && this.#router.isLoaded(version)) return
    const manifest = toManifest(this.#site, build, version)
    this.#versions.set(manifest)
    try {
      await runner.load(manifest)
    } catch (error) {
      if (version !== this.#router.current) this.#versions.delete(version)
      throw error
    }
    if (this.#runner === runner) this.#router.markLoaded(version)
  }

  #unloadIfUnused(version: number): void {
    if (!this.#versions.unused(version, this.#router.current)) return
    this.#versions.delete(version)
    this.#router.markUnloaded(version)
    this.#runner?.send({ type: 'unload', appId: this.appId, version })
    this.#logger.debug({ site: this.#site.name, app_version: version }, 'old app version unloaded')
  }

  #rpc(callId: number, call: Parameters<typeof answerRpc>[1], runner: RunnerProcess): void {
    const reply = (ok: boolean, value: unknown): void => {
      if (!runner.alive) return
      runner.send(ok ? { type: 'rpc-result', callId, ok: true, value } : { type: 'rpc-result', callId, ok: false, error: errorMessage(value) })
    }
    let result: unknown
    try {
      result = answerRpc({
        storage: this.#storage,
        outbound: this.#outbound,
        counters: this.#counters,
        classes: () => this.#versions.classes(),
        fetchAllow: () => this.#site.app.fetch_allow,
        fetchObject: (object, request) => fetchEvent(this.#fetchContext(), object, request).then(objectFetchResponse),
      }, call)
    } catch (error) {
      return reply(false, error)
    }
    if (result instanceof Promise) result.then((value) => reply(true, value), (error: unknown) => reply(false, error))
    else reply(true, result)
  }

  #setAutoResponse(object: ObjectAddress, pair: { request: string; response: string } | null): void {
    const state = this.#router.object(object)
    if (!pair) {
      state.autoResponse = undefined
      return
    }
    if (typeof pair.request !== 'string' || typeof pair.response !== 'string' || pair.request.length > RUNNER_DEFAULTS.maxAutoResponseChars || pair.response.length > RUNNER_DEFAULTS.maxAutoResponseChars) return
    state.autoResponse = { request: pair.request, requestBytes: Buffer.from(pair.request), response: pair.response }
  }

  #outcome(entry: EventDone, what: string, object: ObjectAddress | undefined): void {
    logEventOutcome(this.#logger, this.#counters, this.#site.name, entry, what, object)
  }

  #isolateRestarted(version: number, reason: string): void {
    this.#counters.isolateRestarts++
    this.#logger.warn({ site: this.#site.name, app_version: version, reason }, 'app isolate restarted: its instances are gone')
    this.#router.forgetInstances(version)
    this.#io.closeWhere((socket) => socket.mode === 'accept' && socket.version === version, ErrorCatalogue.WEDGE_APP_RESTARTED.close, ErrorCatalogue.WEDGE_APP_RESTARTED.message)
  }

  #fetchContext(): FetchEventContext {
    return { appId: this.appId, router: this.#router, io: this.#io, timeoutMs: this.#site.timeouts.response, outcome: (entry, what, object) => this.#outcome(entry, what, object) }
  }

  #createWss(): WebSocketServer {
    return createAppWss(this.#site.app.max_message_size)
  }
}

function objectFetchResponse(result: FetchResult): WireResponse {
  if ('response' in result) return result.response
  throw new Error(result.detail ?? result.failure)
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
