import type { WebhookConfig } from '../config/schema.js'
import type { Logger } from '../log/logger.js'
import type { ConnectionEnd } from '../metering/metered-connection.js'
import type { TrafficCounts } from './webhook-events.js'
import { DEFAULT_STOP_DEADLINE_MS, WebhookSender, type WebhookStats } from './webhook-sender.js'

/** What the webhooks read from an open connection; the ingress LiveConnection fits. */
export interface WebhookConnection {
  readonly id: string
  readonly site: string
  readonly clientIp: string
  readonly path: string
  readonly upstream: string
  readonly startedAt: number
  traffic(): { fromClient: TrafficCounts; toClient: TrafficCounts }
}

/** How a connection ended; the meter's ConnectionEnd plus the close reason when known. */
export type WebhookEnd = ConnectionEnd & { closeReason?: string }

interface Entry {
  /** The config the sender was built from, to see whether a reload changed it. */
  key: string
  sender: WebhookSender
}

const EMPTY_STATS: WebhookStats = { queued: 0, delivered: 0, failed: 0, dropped: 0, attempts: 0, failedAttempts: 0 }

/**
 * The webhook senders of every site that configures `webhooks`, kept across reloads: a site
 * whose webhooks config did not change keeps its sender (and its queue); a changed or removed
 * one is stopped in the background with its flush deadline. It is a connection observer
 * (`opened` / `closed`, O(1) each), so the edge can call it next to the meter.
 */
export class SiteWebhooks {
  readonly #logger: Logger | undefined
  readonly #stopDeadlineMs: number
  readonly #senders = new Map<string, Entry>()
  /** Counts of senders already retired, per site, so that totals never go down. */
  readonly #retired = new Map<string, WebhookStats>()
  /** Senders flushing after a reload removed or changed them; their counts still show. */
  readonly #retiring = new Map<WebhookSender, { site: string; done: Promise<void> }>()

  constructor(options: { logger?: Logger | undefined; stopDeadlineMs?: number } = {}) {
    this.#logger = options.logger
    this.#stopDeadlineMs = options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS
  }

  /** Adopts the sites of a (re)loaded config. */
  apply(sites: readonly { name: string; webhooks?: WebhookConfig | undefined }[]): void {
    const wanted = new Map(sites.filter((site) => site.webhooks).map((site) => [site.name, site.webhooks!]))
    for (const [site, entry] of this.#senders) {
      const config = wanted.get(site)
      if (config && JSON.stringify(config) === entry.key) continue
      this.#senders.delete(site)
      this.#retire(site, entry.sender)
    }
    for (const [site, config] of wanted) {
      if (this.#senders.has(site)) continue
      this.#senders.set(site, { key: JSON.stringify(config), sender: new WebhookSender(config, { logger: this.#logger, site }) })
    }
  }

  opened(connection: WebhookConnection): void {
    this.#senders.get(connection.site)?.sender.connected({
      site: connection.site, connectionId: connection.id, clientIp: connection.clientIp,
      path: connection.path, upstream: connection.upstream, at: connection.startedAt,
    })
  }

  closed(connection: WebhookConnection, end: WebhookEnd): void {
    const entry = this.#senders.get(connection.site)
    if (!entry) return
    const { fromClient, toClient } = connection.traffic()
    entry.sender.disconnected({
      site: connection.site, connectionId: connection.id, clientIp: connection.clientIp,
      path: connection.path, upstream: connection.upstream, startedAt: connection.startedAt,
      fromClient, toClient, closeCode: end.closeCode, closeReason: end.closeReason, closedBy: end.closedBy,
    })
  }

  /** Per site with webhooks (now or before a reload): counts since start, retired senders included. */
  stats(): { site: string; stats: WebhookStats }[] {
    const totals = new Map<string, WebhookStats>()
    const count = (site: string, stats: WebhookStats): void => { totals.set(site, add(totals.get(site) ?? EMPTY_STATS, stats)) }
    for (const [site, stats] of this.#retired) count(site, stats)
    for (const [sender, { site }] of this.#retiring) count(site, sender.stats())
    for (const [site, entry] of this.#senders) count(site, entry.sender.stats())
    return [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([site, stats]) => ({ site, stats }))
  }

  /** Stops every sender, each flushing its queue for at most `deadlineMs`. */
  async stop(deadlineMs = this.#stopDeadlineMs): Promise<void> {
    const senders = [...this.#senders]
    this.#senders.clear()
    for (const [site, entry] of senders) this.#retire(site, entry.sender, deadlineMs)
    await Promise.all([...this.#retiring.values()].map((retiring) => retiring.done))
  }

  #retire(site: string, sender: WebhookSender, deadlineMs = this.#stopDeadlineMs): void {
    const done = sender.stop(deadlineMs).catch((error: unknown) => {
      this.#logger?.warn({ err: error, site }, 'stopping a webhook sender failed')
    }).finally(() => {
      this.#retiring.delete(sender)
      this.#retired.set(site, add(this.#retired.get(site) ?? EMPTY_STATS, { ...sender.stats(), queued: 0 }))
    })
    this.#retiring.set(sender, { site, done })
  }
}

function add(a: WebhookStats, b: WebhookStats): WebhookStats {
  return {
    queued: a.queued + b.queued,
    delivered: a.delivered + b.delivered,
    failed: a.failed + b.failed,
    dropped: a.dropped + b.dropped,
    attempts: a.attempts + b.attempts,
    failedAttempts: a.failedAttempts + b.failedAttempts,
  }
}
