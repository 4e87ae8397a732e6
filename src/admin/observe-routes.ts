import { parseUsageQuery, UsageQueryError } from '../metering/usage-query.js'
import type { AdminContext } from './admin-context.js'
import { AdminError } from './admin-errors.js'
import type { Router } from './router.js'

/** Prometheus text exposition format 0.0.4 (what prom-client's `registry.contentType` says). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Read-only views of the edge: metrics, live numbers, usage and sites. */
export function addObserveRoutes(router: Router, context: AdminContext): Router {
  return router
    .add('GET', '/metrics', async () => ({ raw: await context.metrics(), headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } }))
    .add('GET', '/api/live', async () => ({ body: { at: new Date().toISOString(), sites: context.live() } }))
    .add('GET', '/api/sites', async () => ({ body: { sites: context.sites() } }))
    .add('GET', '/api/usage', async ({ url }) => {
      let query
      try {
        query = parseUsageQuery(url.searchParams)
      } catch (error) {
        if (error instanceof UsageQueryError) throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', error.message)
        throw error
      }
      return { body: await context.usage(query) }
    })
}
