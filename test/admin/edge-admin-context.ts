import { Registry } from 'prom-client'
import type { AdminContext, ConnectionInfo, SiteInfo } from '../../src/admin/admin-context.js'
import type { AppsController } from '../../src/admin/apps-controller.js'
import type { Edge } from '../../src/edge.js'
import type { LiveConnection } from '../../src/ingress/connections.js'
import { Meter } from '../../src/metering/meter.js'
import { emptyDirection, type DirectionCounters, type MeteredConnection } from '../../src/metering/metered-connection.js'
import { usageReport } from '../../src/metering/usage-report.js'
import { openUsageStore, type UsageStore } from '../../src/metering/usage-store.js'
import type { OriginPool } from '../../src/proxy/balancer/origin-pool.js'

export interface EdgeAdmin {
  context: AdminContext
  meter: Meter
  usage: UsageStore
  /** Stops the meter feed and closes the usage store. */
  stop(): Promise<void>
}

type Traffic = { fromClient: DirectionCounters; toClient: DirectionCounters }

/** A connection's counters, when the edge exposes them (LiveConnection as a MeteredConnection). */
export function trafficOf(connection: LiveConnection): Traffic | undefined {
  const metered = connection as Partial<MeteredConnection>
  return typeof metered.traffic === 'function' ? metered.traffic() : undefined
}

export function kindOf(upstream: string): ConnectionInfo['kind'] {
  return upstream.startsWith('app:') ? 'app' : upstream.startsWith('builtin:') ? 'builtin' : 'proxy'
}

/**
 * An AdminContext over a running edge, built the way src/edge.ts builds it: connections and
 * closing from the edge's ConnectionRegistry, apps from its AppRuntime, a real Meter (its
 * prom-client registry for /metrics) and a real SQLite UsageStore. Until the edge drives a
 * meter itself, this one is fed by watching the registry every `feedMs`. Origin health comes
 * from `pools` (real OriginPools running real checks), since the edge keeps its own private.
 */
export function edgeAdminContext(edge: Edge, options: { pools?: Map<string, OriginPool>; apps?: AppsController; feedMs?: number; tickMs?: number } = {}): EdgeAdmin {
  const usage = openUsageStore(':memory:')
  const meter = new Meter({ registry: new Registry(), usage, tickMs: options.tickMs ?? 500 })
  meter.start()
  const fed = new Map<string, MeteredConnection>()
  const feed = setInterval(() => {
    const open = new Set<string>()
    for (const connection of edge.connections.values()) {
      open.add(connection.id)
      if (fed.has(connection.id)) continue
      const metered: MeteredConnection = {
        id: connection.id, site: connection.site, upstream: connection.upstream, startedAt: connection.startedAt,
        kind: kindOf(connection.upstream),
        traffic: () => trafficOf(connection) ?? { fromClient: emptyDirection(), toClient: emptyDirection() },
      }
      fed.set(connection.id, metered)
      meter.handshake(connection.site, 'accepted')
      meter.opened(metered)
    }
    for (const [id, metered] of fed) {
      if (open.has(id)) continue
      fed.delete(id)
      meter.closed(metered, { closedBy: 'unknown' })
    }
  }, options.feedMs ?? 50)

  const context: AdminContext = {
    apps: options.apps ?? edge.apps.controller,
    metrics: () => meter.registry.metrics(),
    live: () => meter.live(),
    usage: (query) => usageReport(usage, query),
    connections(site) {
      const listed: ConnectionInfo[] = []
      for (const connection of edge.connections.values()) {
        if (site !== undefined && connection.site !== site) continue
        const traffic = trafficOf(connection)
        listed.push({
          id: connection.id, site: connection.site, clientIp: connection.clientIp, path: connection.path,
          upstream: connection.upstream, kind: kindOf(connection.upstream), startedAt: connection.startedAt,
          fromClient: traffic?.fromClient ?? emptyDirection(), toClient: traffic?.toClient ?? emptyDirection(),
        })
      }
      return listed
    },
    closeConnection(id, code, reason) {
      const connection = edge.connections.get(id)
      if (!connection) return false
      connection.close(code, reason)
      return true
    },
    sites() {
      const open = new Map<string, number>()
      for (const connection of edge.connections.values()) open.set(connection.site, (open.get(connection.site) ?? 0) + 1)
      return edge.config.sites.map((site): SiteInfo => {
        const base = { name: site.name, hosts: site.hosts, pathPrefix: site.path_prefix ?? null, open: open.get(site.name) ?? 0 }
        if (site.builtin) return { ...base, kind: 'builtin', builtin: site.builtin }
        if (site.app) {
          const host = edge.apps.host(site.name)
          const stats = host?.stats()
          return { ...base, kind: 'app', running: host !== undefined, version: stats && stats.version > 0 ? stats.version : null, liveObjects: stats?.liveObjects ?? 0, sockets: stats?.sockets ?? 0 }
        }
        const pool = options.pools?.get(site.name)
        const origins = pool ? pool.origins.map((origin) => origin.state()) : (site.origins ?? []).map((origin) => ({ id: new URL(origin.url).href, healthy: true, active: 0, weight: origin.weight, consecutiveFailures: 0 }))
        return { ...base, kind: 'proxy', policy: site.balance.policy, origins }
      })
    },
  }
  return {
    context,
    meter,
    usage,
    async stop() {
      clearInterval(feed)
      await meter.stop()
      usage.close()
    },
  }
}
