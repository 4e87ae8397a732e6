import type { Agent } from 'undici'
import type { Logger } from 'pino'
import type { SiteConfig } from '../config/schema.js'
import { OriginPool } from '../proxy/balancer/origin-pool.js'
import { closeOriginAgent, createOriginAgent } from '../proxy/origin-agent.js'
import { EchoEndpoint } from '../builtin/echo-endpoint.js'
import { AbuseLimits } from './abuse-limits.js'
import type { AppHost } from '../runtime/app-host.js'

/**
 * Everything the edge keeps for one site while it is configured: its config, its origin pool
 * and HTTP agent (proxy sites) or builtin endpoint, and its admission limits. A reload
 * updates the runtime of a site with the same name in place, so health state and limit
 * counters carry over; connections already open keep the config they started with.
 */
export class SiteRuntime {
  config: SiteConfig
  readonly limits: AbuseLimits
  readonly pool: OriginPool | undefined
  #agent: Agent | undefined
  #echo: EchoEndpoint | undefined
  readonly #logger: Logger

  readonly #drainMs: number
  /** App sites: the app serving this site (set by the edge once the app has started). */
  app: AppHost | undefined

  constructor(config: SiteConfig, logger: Logger, drainMs: number) {
    this.config = config
    this.#drainMs = drainMs
    this.#logger = logger
    this.limits = new AbuseLimits(config.limits)
    if (config.origins) {
      this.pool = new OriginPool(config, { logger })
      this.pool.start()
      this.#agent = createOriginAgent(config)
    }
  }

  get name(): string {
    return this.config.name
  }

  get agent(): Agent | undefined {
    return this.#agent
  }

  /** The edge's own echo endpoint for builtin sites, created on first use. */
  get echo(): EchoEndpoint {
    this.#echo ??= new EchoEndpoint(this.config.ws.max_message_size)
    return this.#echo
  }

  get echoIfStarted(): EchoEndpoint | undefined {
    return this.#echo
  }

  /** Adopts a new config for the same site name. Returns false when it cannot be done in place. */
  update(config: SiteConfig): boolean {
    if (Boolean(config.origins) !== Boolean(this.config.origins) || Boolean(config.app) !== Boolean(this.config.app)) return false
    this.config = config
    this.limits.update(config.limits)
    if (this.pool) {
      this.pool.update(config)
      const old = this.#agent
      this.#agent = createOriginAgent(config)
      // In-flight requests finish on the old agent, for at most the drain time.
      if (old) void closeOriginAgent(old, this.#drainMs).catch((error: unknown) => this.#logger.debug({ err: error }, 'closing old origin agent'))
    }
    return true
  }

  /** Stops health checks and pools; open connections are not touched. */
  async retire(): Promise<void> {
    await this.app?.retire()
    this.pool?.stop()
    if (this.#agent) await closeOriginAgent(this.#agent, this.#drainMs).catch(() => {})
  }
}
