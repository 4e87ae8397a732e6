import type { SecureContext } from 'node:tls'
import type { ResolvedConfig } from './config/schema.js'
import { createLogger, type Logger } from './log/logger.js'
import { RoutingTable } from './ingress/router.js'
import { SiteRuntime } from './ingress/site-runtime.js'
import { ConnectionRegistry } from './ingress/connections.js'
import { EdgeCounters } from './ingress/edge-counters.js'
import { Listener, siteSecureContexts } from './ingress/listener.js'
import { handleUpgrade, type IngressContext, type SiteRoute } from './ingress/upgrade-handler.js'
import { handleRequest } from './ingress/request-handler.js'
import { AppRuntime } from './runtime/app-runtime.js'
import { AdminServer } from './admin/admin-server.js'
import { Meter } from './metering/meter.js'
import { createAdminContext } from './edge-admin.js'
import { SiteWebhooks } from './webhooks/site-webhooks.js'
import { registerWebhookMetrics } from './webhooks/webhook-metrics.js'
import { openUsageStore, usageStorePath, type UsageStore } from './metering/usage-store.js'
import type { AppSiteConfig } from './runtime/app-manifest.js'

export interface EdgeOptions {
  logger?: Logger
  /** Relay without frame scanning: the benchmark's baseline, never for production. */
  noScan?: boolean
  /** Meter connections (default true). Off only to measure what metering costs. */
  metering?: boolean
}

export interface EdgeAddresses {
  listeners: { host: string; port: number; tls: boolean }[]
  /** The admin API, when `admin` is configured. */
  admin?: { host: string; port: number }
}

export interface Edge {
  start(): Promise<EdgeAddresses>
  /** Applies a new config to new connections; open connections keep going untouched. */
  reload(config: ResolvedConfig): Promise<void>
  /** Stops accepting, lets connections finish for `drainMs`, then closes the rest with 1001. */
  stop(drainMs?: number): Promise<void>
  addresses(): EdgeAddresses
  readonly logger: Logger
  readonly connections: ConnectionRegistry
  readonly counters: EdgeCounters
  readonly config: ResolvedConfig
  /** Live counters, Prometheus registry and usage records (issue 4). */
  readonly meter: Meter
  readonly usage: UsageStore
  /** Origin-less apps: runner pool, versions, AppHosts, the admin AppsController. */
  readonly apps: AppRuntime
}

const CLOSE_WAIT_MS = 2000

/** The composition root: builds listeners, routing and site runtimes from one config. */
export function createEdge(initialConfig: ResolvedConfig, options: EdgeOptions = {}): Edge {
  const logger = options.logger ?? createLogger(initialConfig.log)
  let config = initialConfig
  const sites = new Map<string, SiteRuntime>()
  let routes = new RoutingTable<SiteRoute>([])
  let contexts = new Map<string, SecureContext>()
  const usage: UsageStore = openUsageStore(usageStorePath(initialConfig.data_dir))
  const meter = new Meter({ usage, onError: (error) => logger.warn({ err: error }, 'metering') })
  const webhooks = new SiteWebhooks({ logger })
  registerWebhookMetrics(meter.registry, webhooks)
  const metering = options.metering ?? true
  const registry = new ConnectionRegistry({
    opened: (connection) => { if (metering) meter.opened(connection); webhooks.opened(connection) },
    closed: (connection, end) => { if (metering) meter.closed(connection, end); webhooks.closed(connection, end) },
  })
  const counters = new EdgeCounters(meter)
  let stopping = false
  let bound: EdgeAddresses = { listeners: [] }
  let admin: AdminServer | undefined
  const apps = new AppRuntime({ dataDir: initialConfig.data_dir, runtime: initialConfig.runtime, logger })

  const ingress: IngressContext = {
    routes: () => routes,
    registry,
    logger,
    counters,
    get stopping() { return stopping },
    noScan: options.noScan ?? false,
  }

  async function applySites(next: ResolvedConfig): Promise<void> {
    const nextContexts = siteSecureContexts(next)
    const keep = new Set<string>()
    for (const site of next.sites) {
      keep.add(site.name)
      const existing = sites.get(site.name)
      if (existing?.update(site)) {
        if (existing.app) await apps.reconfigure(existing.app, site)
        continue
      }
      if (existing) await existing.retire()
      const runtime = new SiteRuntime(site, logger, next.server.drain_timeout)
      if (site.app) {
        try {
          runtime.app = await apps.open(site as AppSiteConfig)
        } catch (error) {
          if (next === initialConfig) throw error
          logger.error({ err: error, site: site.name }, 'app site could not start: it answers 500 until fixed')
        }
      }
      sites.set(site.name, runtime)
    }
    for (const [name, runtime] of sites) {
      if (!keep.has(name)) {
        sites.delete(name)
        await runtime.retire()
      }
    }
    webhooks.apply(next.sites)
    routes = new RoutingTable(next.sites.map((site) => ({ hosts: site.hosts, path_prefix: site.path_prefix, runtime: sites.get(site.name)! })))
    contexts = nextContexts
    config = next
  }

  const listeners = initialConfig.listeners.map((listenerConfig) => new Listener(listenerConfig, initialConfig.server, {
    request: (req, res, proto, continuePending) => handleRequest(ingress, req, res, proto, continuePending),
    upgrade: (req, socket, head, proto) => handleUpgrade(ingress, req, socket, head, proto),
    secureContext: (servername) => {
      const route = routes.match(servername, '/')
      return route ? contexts.get(route.runtime.name) : undefined
    },
    refused: (code) => counters.refused(code),
  }))

  return {
    logger,
    connections: registry,
    counters,
    meter,
    usage,
    apps,
    get config() { return config },
    async start() {
      // An app that fails to start must not leave runner processes behind.
      await applySites(config).catch(async (error: unknown) => {
        await apps.stop()
        usage.close()
        throw error
      })
      if (metering) meter.start()
      const addresses = []
      try {
        for (const listener of listeners) {
          const address = await listener.listen()
          addresses.push({ ...address, tls: listener.proto === 'https' })
          logger.info({ address: `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`, tls: listener.proto === 'https' }, 'listening')
        }
      } catch (error) {
        // A listener that cannot bind must not leave runners, timers or open files behind.
        await this.stop(0).catch(() => {})
        throw error
      }
      bound = { listeners: addresses }
      if (config.admin) {
        const context = createAdminContext({ config: () => config, sites: () => sites, registry, meter, usage, apps })
        admin = new AdminServer({ listen: config.admin.listen, context, tokens: config.admin.tokens, logger })
        bound.admin = await admin.listen()
        logger.info({ address: `${bound.admin.host}:${bound.admin.port}` }, 'admin listening')
      }
      return bound
    },
    async reload(next) {
      if (JSON.stringify(next.runtime) !== JSON.stringify(config.runtime)) {
        logger.warn('runtime (runner) changes need a restart; they were not applied')
      }
      if (JSON.stringify(next.listeners) !== JSON.stringify(config.listeners)) {
        logger.warn('listener changes need a restart; the new listeners were not applied')
      }
      await applySites(next)
      logger.info({ sites: next.sites.length, open_connections: registry.size }, 'config reloaded')
    },
    async stop(drainMs = config.server.drain_timeout) {
      if (stopping) return
      stopping = true
      logger.info({ open_connections: registry.size, drain_ms: drainMs }, 'stopping: no new connections, draining')
      const closed = Promise.all(listeners.map((listener) => listener.stopAccepting()))
      const drained = await registry.waitUntilEmpty(drainMs)
      if (!drained) {
        logger.info({ open_connections: registry.size }, 'drain time over: closing the rest with 1001')
        for (const connection of [...registry.values()]) connection.close('WEDGE_SHUTTING_DOWN')
        await registry.waitUntilEmpty(CLOSE_WAIT_MS)
      }
      for (const listener of listeners) listener.closeAll()
      await closed
      for (const runtime of sites.values()) await runtime.retire()
      await apps.stop()
      await admin?.close()
      await webhooks.stop()
      // After the drain, so the last connections' final minutes are flushed, then closed.
      await meter.stop()
      usage.close()
      logger.info('stopped')
    },
    addresses: () => bound,
  }
}
