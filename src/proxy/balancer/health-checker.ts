import { readFileSync } from 'node:fs'
import { Agent, request } from 'undici'
import type { HealthCheckConfig, OriginTlsConfig } from '../../config/schema.js'
import type { CheckResult, Origin } from './origin.js'

export interface BalancerLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

interface Probe {
  timer?: NodeJS.Timeout
  controller?: AbortController
  successes: number
  failures: number
}

/** Checks spread by ±10% so origins behind one edge are not all probed in the same tick. */
const JITTER = 0.1

/**
 * Active health checks: one GET to `origin + path` per origin every `interval`, over a
 * fresh connection each time (so a listener that stopped accepting is noticed), marking an
 * origin down after `unhealthy_threshold` failed checks in a row and up again after
 * `healthy_threshold` good ones. ws:// and wss:// origins are checked over http(s).
 */
export class HealthChecker {
  readonly config: HealthCheckConfig
  readonly #site: string
  readonly #logger: BalancerLogger
  /** Read once here so that a missing CA file fails the config load, not a timer. */
  readonly #connect: ReturnType<typeof connectOptions>
  #probes = new Map<Origin, Probe>()
  #agent: Agent | undefined
  #running = false

  constructor(site: string, config: HealthCheckConfig, tls: OriginTlsConfig, logger: BalancerLogger) {
    this.config = config
    this.#site = site
    this.#logger = logger
    this.#connect = connectOptions(tls, config.timeout)
  }

  /** Sets the origins to check: starts probes for new ones, stops those no longer listed. */
  track(origins: readonly Origin[]): void {
    const wanted = new Set(origins)
    for (const [origin, probe] of this.#probes) {
      if (!wanted.has(origin)) {
        cancel(probe)
        this.#probes.delete(origin)
      }
    }
    for (const origin of origins) {
      if (this.#probes.has(origin)) continue
      const probe: Probe = { successes: 0, failures: 0 }
      this.#probes.set(origin, probe)
      if (this.#running) this.#schedule(origin, probe, Math.random() * this.config.interval * JITTER)
    }
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#agent = new Agent({ connect: this.#connect })
    for (const [origin, probe] of this.#probes) {
      this.#schedule(origin, probe, Math.random() * this.config.interval * JITTER)
    }
  }

  stop(): void {
    if (!this.#running) return
    this.#running = false
    for (const [origin, probe] of this.#probes) {
      cancel(probe)
      // A fresh probe so that a check still settling from before a restart is discarded.
      this.#probes.set(origin, { successes: probe.successes, failures: probe.failures })
    }
    this.#agent?.destroy().catch(() => {})
    this.#agent = undefined
  }

  #schedule(origin: Origin, probe: Probe, delay: number): void {
    probe.timer = setTimeout(() => void this.#run(origin, probe), delay)
    probe.timer.unref()
  }

  async #run(origin: Origin, probe: Probe): Promise<void> {
    probe.timer = undefined
    const result = await this.#check(origin, probe)
    // Stopped, or the origin left the config, while the check was in flight.
    if (!this.#running || this.#probes.get(origin) !== probe) return
    this.#apply(origin, probe, result)
    const interval = this.config.interval
    this.#schedule(origin, probe, interval * (1 - JITTER + 2 * JITTER * Math.random()))
  }

  async #check(origin: Origin, probe: Probe): Promise<CheckResult> {
    const controller = new AbortController()
    probe.controller = controller
    const { timeout, path } = this.config
    try {
      const response = await request(checkUrl(origin.url, path), {
        method: 'GET',
        dispatcher: this.#agent,
        headers: { 'user-agent': 'wedge-health-check' },
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(timeout)]),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        reset: true,
      })
      await response.body.dump()
      const ok = this.#expected(response.statusCode)
      return { at: Date.now(), ok, detail: ok ? String(response.statusCode) : `status ${response.statusCode}` }
    } catch (error) {
      return { at: Date.now(), ok: false, detail: describe(error) }
    } finally {
      probe.controller = undefined
    }
  }

  #expected(status: number): boolean {
    const expect = this.config.expect_status
    return expect === undefined ? status >= 200 && status < 400 : expect.includes(status)
  }

  #apply(origin: Origin, probe: Probe, result: CheckResult): void {
    if (result.ok) {
      probe.successes++
      probe.failures = 0
    } else {
      probe.failures++
      probe.successes = 0
    }
    const wasUp = origin.activeUp
    const up = wasUp ? probe.failures < this.config.unhealthy_threshold : probe.successes >= this.config.healthy_threshold
    origin.recordCheck(result, up)
    if (up === wasUp) return
    const fields = { site: this.#site, origin: origin.id, detail: result.detail }
    if (up) this.#logger.info(fields, 'origin up: health checks pass again')
    else this.#logger.warn(fields, 'origin down: health checks fail')
  }
}

function cancel(probe: Probe): void {
  clearTimeout(probe.timer)
  probe.timer = undefined
  probe.controller?.abort()
}

function checkUrl(origin: URL, path: string): string {
  const protocol = origin.protocol === 'wss:' || origin.protocol === 'https:' ? 'https:' : 'http:'
  return `${protocol}//${origin.host}${path}`
}

function connectOptions(tls: OriginTlsConfig, timeout: number) {
  return {
    timeout,
    rejectUnauthorized: tls.verify,
    ...(tls.ca === undefined ? {} : { ca: readFileSync(tls.ca, 'utf8') }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.name === 'TimeoutError' || (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout'
  const code = (error as { code?: string }).code
  return code ?? error.message
}
