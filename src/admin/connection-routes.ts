import type { AdminContext, ConnectionInfo } from './admin-context.js'
import { AdminError } from './admin-errors.js'
import { parseCloseRequest } from './close-request.js'
import type { Router } from './router.js'

/** Most connections one listing returns unless `limit` says otherwise, and the most it may ask. */
export const DEFAULT_CONNECTION_LIMIT = 1000
export const MAX_CONNECTION_LIMIT = 10_000

/** The connection as listed: `startedAt` in ISO 8601 and its age at answer time. */
export type ListedConnection = Omit<ConnectionInfo, 'startedAt'> & { startedAt: string; ageMs: number }

/** Open WebSockets: list them, close one. */
export function addConnectionRoutes(router: Router, context: AdminContext): Router {
  return router
    .add('GET', '/api/connections', async ({ url }) => {
      const { site, limit } = parseListing(url.searchParams)
      const all = context.connections(site)
      // Oldest first: long-lived connections are the ones an operator usually looks for.
      all.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      const now = Date.now()
      const connections: ListedConnection[] = all.slice(0, limit).map((connection) => ({
        ...connection,
        startedAt: new Date(connection.startedAt).toISOString(),
        ageMs: Math.max(0, now - connection.startedAt),
      }))
      return { body: { site: site ?? null, total: all.length, connections } }
    })
    .add('DELETE', '/api/connections/:id', async ({ params, url }) => {
      const { code, reason } = parseCloseRequest(url.searchParams)
      if (!context.closeConnection(params.id!, code, reason)) {
        throw new AdminError('WEDGE_ADMIN_UNKNOWN_CONNECTION', `no open connection has id ${JSON.stringify(params.id)}`)
      }
      return { body: { id: params.id, closed: true, code, reason } }
    })
}

function parseListing(params: URLSearchParams): { site: string | undefined; limit: number } {
  for (const name of new Set(params.keys())) {
    if (name !== 'site' && name !== 'limit') throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `unknown parameter ${JSON.stringify(name)} (expected site, limit)`)
  }
  const site = params.get('site') || undefined
  const text = params.get('limit')
  if (text === null || text === '') return { site, limit: DEFAULT_CONNECTION_LIMIT }
  const limit = /^\d{1,6}$/.test(text) ? Number(text) : NaN
  if (!(limit >= 1 && limit <= MAX_CONNECTION_LIMIT)) {
    throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `limit: expected a whole number from 1 to ${MAX_CONNECTION_LIMIT}, got ${JSON.stringify(text.slice(0, 20))}`)
  }
  return { site, limit }
}
