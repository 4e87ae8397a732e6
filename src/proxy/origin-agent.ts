import { readFileSync } from 'node:fs'
import { Agent, Pool, buildConnector } from 'undici'
import type { SiteConfig } from '../config/schema.js'

/**
 * The connection pool of one site towards its origins. One agent per site, created when the
 * config is loaded and closed (`closeOriginAgent`) when it is replaced or the edge stops.
 */

/**
 * The key undici pools connections under for an origin URL: scheme and host:port only.
 * `ws:`/`wss:` origins are reached over `http:`/`https:` (RFC 6455 §3 maps them the same way).
 */
export function originKey(url: URL): string {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:'
  return `${secure ? 'https:' : 'http:'}//${url.host}`
}

/**
 * The `servername` to put in dispatch options for an origin. Undici derives it from the Host
 * header otherwise, which with `preserve_host` is the client's host and would reconnect each
 * time it changes; a constant per origin keeps connections reused. The real SNI is chosen by
 * the connector below.
 */
export function originServerName(site: SiteConfig, url: URL): string {
  return site.origin_tls.servername ?? url.hostname.replace(/^\[|\]$/g, '')
}

/**
 * The pools each agent created. `Agent.close()` forgets its pools at once, so a later
 * `Agent.destroy()` cannot reach requests still running in them; closeOriginAgent uses these.
 */
const agentPools = new WeakMap<Agent, Set<Pool>>()

/**
 * Creates the keep-alive pool for a site: pipelining 1 (RFC 9112 §9.3.2 pipelining is unsafe
 * through proxies), connect/header/body timeouts from `site.timeouts`, TLS from
 * `site.origin_tls` (the CA file is read once, here), and at most `max_connections`
 * connections to an origin that sets it.
 */
export function createOriginAgent(site: SiteConfig): Agent {
  const tls = site.origin_tls
  const ca = tls.ca === undefined ? undefined : readFileSync(tls.ca)
  const connector = buildConnector({
    timeout: site.timeouts.connect,
    rejectUnauthorized: tls.verify,
    ...(ca === undefined ? {} : { ca }),
  })
  // SNI and the certificate name check use origin_tls.servername, else the origin's own
  // host; never the Host header the client sent. An IP origin sends no SNI (RFC 6066 §3)
  // and its certificate is checked against the IP.
  const configuredName = tls.servername
  const connect: buildConnector.connector = (options, callback) => {
    const { servername: _fromRequest, ...rest } = options
    connector(configuredName === undefined ? rest : { ...rest, servername: configuredName }, callback)
  }

  const limits = new Map<string, number>()
  for (const origin of site.origins ?? []) {
    if (origin.max_connections !== undefined) limits.set(originKey(new URL(origin.url)), origin.max_connections)
  }

  const pools = new Set<Pool>()
  const agent = new Agent({
    connect,
    pipelining: 1,
    headersTimeout: site.timeouts.response,
    bodyTimeout: site.timeouts.body,
    factory: (origin, options) => {
      // The agent closes an origin's pool whenever it has no connection left and makes a
      // new one later; forget those that have finished.
      for (const pool of pools) if ((pool.closed || pool.destroyed) && pool.stats.size === 0) pools.delete(pool)
      const pool = new Pool(origin, { ...options, connections: limits.get(String(origin)) ?? null })
      pools.add(pool)
      return pool
    },
  })
  agentPools.set(agent, pools)
  return agent
}

/**
 * Closes an agent: requests in flight may finish for `graceMs`, then every connection is
 * destroyed. Resolves when all connections are gone.
 */
export async function closeOriginAgent(agent: Agent, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), graceMs)
    timer.unref()
  })
  try {
    // A close that settles after the destroy below must not become an unhandled rejection.
    const closed = agent.close().then(() => 'closed' as const, () => 'closed' as const)
    const outcome = await Promise.race([closed, expired])
    if (outcome === 'expired') await Promise.all([...agentPools.get(agent) ?? []].map((pool) => pool.destroy()))
  } finally {
    clearTimeout(timer)
  }
}
