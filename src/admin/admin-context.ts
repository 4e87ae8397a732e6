import type { DirectionCounters } from '../metering/metered-connection.js'
import type { SiteLive } from '../metering/meter.js'
import type { UsageQuery } from '../metering/usage-query.js'
import type { UsageReport } from '../metering/usage-report.js'
import type { AppsController } from './apps-controller.js'

export type { DirectionCounters, SiteLive, UsageQuery, UsageReport }

/** One open WebSocket as `GET /api/connections` lists it (the admin adds `ageMs`). */
export interface ConnectionInfo {
  id: string
  site: string
  clientIp: string
  /** Request path of the upgrade, without the query (it may carry credentials). */
  path: string
  /** What serves it: the origin URL (proxy), "app:<site>" (app), "builtin:echo". */
  upstream: string
  kind: 'proxy' | 'app' | 'builtin'
  /** Epoch ms when the connection was established. */
  startedAt: number
  /** Cumulative counters since open, as the relay counts them. */
  fromClient: DirectionCounters
  toClient: DirectionCounters
}

/** One origin of a proxy site with its health (structurally the balancer's OriginState). */
export interface OriginInfo {
  /** The origin URL. */
  id: string
  /** False while active checks say down or a passive cooldown runs. */
  healthy: boolean
  /** Connections and requests in flight to it now. */
  active: number
  weight: number
  /** Consecutive failures seen on real traffic, reset by a success. */
  consecutiveFailures: number
  /** The latest active health check, when the site has health_check. */
  lastCheck?: { at: number; ok: boolean; detail: string }
}

interface SiteInfoBase {
  name: string
  hosts: string[]
  pathPrefix: string | null
  /** WebSockets open to this site now. */
  open: number
}

export interface ProxySiteInfo extends SiteInfoBase {
  kind: 'proxy'
  policy: 'round_robin' | 'least_connections' | 'hash'
  origins: OriginInfo[]
}

export interface AppSiteInfo extends SiteInfoBase {
  kind: 'app'
  /** False when the app could not start (the site answers 500 until fixed). */
  running: boolean
  /** The version taking new events; null before any version loaded. */
  version: number | null
  /** Durable Object instances alive in the runner now. */
  liveObjects: number
  /** App WebSockets open now. */
  sockets: number
}

export interface BuiltinSiteInfo extends SiteInfoBase {
  kind: 'builtin'
  builtin: 'welcome' | 'echo'
}

/** One configured site as `GET /api/sites` lists it. */
export type SiteInfo = ProxySiteInfo | AppSiteInfo | BuiltinSiteInfo

/**
 * Everything the admin API reads or changes in the edge, implemented once by the composition
 * root (src/edge.ts). Every method answers from live state at call time.
 */
export interface AdminContext {
  /** Deploy, rollback and version listing of app sites. */
  apps: AppsController
  /** Prometheus text exposition format 0.0.4 of the meter's registry (`registry.metrics()`). */
  metrics(): Promise<string>
  /** `meter.live()`: per-site live numbers as of the meter's last tick. */
  live(): SiteLive[]
  /** Usage per step-sized bucket (`usageReport(store, query)`); the query is already validated. */
  usage(query: UsageQuery): UsageReport | Promise<UsageReport>
  /** Open WebSockets, all or those of one site, in any order. */
  connections(site?: string): ConnectionInfo[]
  /**
   * Closes one connection from the edge with a close frame carrying `code` and `reason` to
   * the client (and the origin). The code and reason are already validated (RFC 6455 §7.4).
   * False when no connection has this id (it may have just ended).
   */
  closeConnection(id: string, code: number, reason: string): boolean
  /** Every configured site, in config order. */
  sites(): SiteInfo[]
}
