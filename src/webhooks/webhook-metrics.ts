import { Counter, Gauge, type Registry } from 'prom-client'
import type { WebhookStats } from './webhook-sender.js'

/** Where the metrics read their numbers at scrape time (SiteWebhooks fits). */
export interface WebhookStatsSource {
  stats(): { site: string; stats: WebhookStats }[]
}

/**
 * Registers the webhook metrics on `registry`; values are read from `source` at each scrape,
 * so the data path never touches them:
 * - `wedge_webhook_events_total{site, outcome}`: outcome "delivered", "failed" or "dropped"
 * - `wedge_webhook_attempts_total{site, result}`: POSTs, result "ok" or "failed"
 * - `wedge_webhook_queue_events{site}`: events waiting now
 */
export function registerWebhookMetrics(registry: Registry, source: WebhookStatsSource): void {
  const registers = [registry]
  new Counter({
    name: 'wedge_webhook_events_total',
    help: 'Webhook events by outcome: delivered (2xx), failed (given up after retries) or dropped (queue full)',
    labelNames: ['site', 'outcome'] as const,
    registers,
    collect() {
      this.reset()
      for (const { site, stats } of source.stats()) {
        this.inc({ site, outcome: 'delivered' }, stats.delivered)
        this.inc({ site, outcome: 'failed' }, stats.failed)
        this.inc({ site, outcome: 'dropped' }, stats.dropped)
      }
    },
  })
  new Counter({
    name: 'wedge_webhook_attempts_total',
    help: 'Webhook POSTs sent, retries included, by result',
    labelNames: ['site', 'result'] as const,
    registers,
    collect() {
      this.reset()
      for (const { site, stats } of source.stats()) {
        this.inc({ site, result: 'ok' }, stats.attempts - stats.failedAttempts)
        this.inc({ site, result: 'failed' }, stats.failedAttempts)
      }
    },
  })
  new Gauge({
    name: 'wedge_webhook_queue_events',
    help: 'Webhook events waiting for delivery, the batch in flight included',
    labelNames: ['site'] as const,
    registers,
    collect() {
      this.reset()
      for (const { site, stats } of source.stats()) this.set({ site }, stats.queued)
    },
  })
}
