import type { AdminContext, ConnectionInfo, SiteInfo } from './admin/admin-context.js'
import type { ConnectionRegistry } from './ingress/connections.js'
import type { SiteRuntime } from './ingress/site-runtime.js'
import type { Meter } from './metering/meter.js'
import type { UsageStore } from './metering/usage-store.js'
import { usageReport } from './metering/usage-report.js'
import type { AppRuntime } from './runtime/app-runtime.js'
import type { ResolvedConfig } from './config/schema.js'

export interface EdgeParts {
  config(): ResolvedConfig
  sites(): ReadonlyMap<string, SiteRuntime>
  registry: ConnectionRegistry
  meter: Meter
  usage: UsageStore
  apps: AppRuntime
}

/** The edge as the admin API sees it: live state read at call time, nothing cached. */
export function createAdminContext(parts: EdgeParts): AdminContext {
  return {
    apps: parts.apps.controller,
    metrics: () => parts.meter.registry.metrics(),
    live: () => parts.meter.live(),
    usage(query) {
      // The current minute is still in memory: flush it so the answer includes it.
      parts.meter.flush()
      return usageReport(parts.usage, query)
    },
    connections(site) {
      const list: ConnectionInfo[] = []
      for (const connection of parts.registry.values()) {
        if (site !== undefined && connection.site !== site) continue
        const { fromClient, toClient } = connection.traffic()
        list.push({
          id: connection.id, site: connection.site, clientIp: connection.clientIp, path: connection.path,
          upstream: connection.upstream, kind: connection.kind, startedAt: connection.startedAt,
          fromClient: { ...copyCounters(fromClient) }, toClient: { ...copyCounters(toClient) },
        })
      }
      return list
    },
    closeConnection(id, code, reason) {
      const connection = parts.registry.get(id)
      if (!connection) return false
      connection.close(code, reason)
      return true
    },
    sites: () => parts.config().sites.map((site) => siteInfo(site.name, parts)).filter((info): info is SiteInfo => info !== undefined),
  }
}

function copyCounters(counters: { messages: number; frames: number; payloadBytes: number; wireBytes: number }): ConnectionInfo['fromClient'] {
  return { messages: counters.messages, frames: counters.frames, payloadBytes: counters.payloadBytes, wireBytes: counters.wireBytes }
}

function siteInfo(name: string, parts: EdgeParts): SiteInfo | undefined {
  const runtime = parts.sites().get(name)
  if (!runtime) return undefined
  const config = runtime.config
  let open = 0
  for (const connection of parts.registry.values()) if (connection.site === name) open++
  const base = { name, hosts: [...config.hosts], pathPrefix: config.path_prefix ?? null, open }
  if (config.app) {
    const stats = runtime.app?.stats()
    return { ...base, kind: 'app', running: runtime.app?.running ?? false, version: stats?.version ?? null, liveObjects: stats?.liveObjects ?? 0, sockets: stats?.sockets ?? 0 }
  }
  if (config.builtin) return { ...base, kind: 'builtin', builtin: config.builtin }
  return { ...base, kind: 'proxy', policy: config.balance.policy, origins: (runtime.pool?.origins ?? []).map((origin) => origin.state()) }
}
