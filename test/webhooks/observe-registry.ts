import type { ConnectionRegistry, LiveConnection } from '../../src/ingress/connections.js'
import type { ConnectionEnd } from '../../src/metering/metered-connection.js'

export interface Observer {
  opened(connection: LiveConnection): void
  closed(connection: LiveConnection, end: ConnectionEnd): void
}

/**
 * Calls `observer` when the edge registers and forgets a connection: what src/edge.ts does
 * with the webhooks next to the meter. Returns a switch and the time spent in the observer.
 */
export function observeRegistry(registry: ConnectionRegistry, observer: Observer): { enabled: boolean; callMs: number } {
  const state = { enabled: true, callMs: 0 }
  const add = registry.add.bind(registry)
  const remove = registry.delete.bind(registry)
  registry.add = (connection) => {
    add(connection)
    if (!state.enabled) return
    const started = performance.now()
    observer.opened(connection)
    state.callMs += performance.now() - started
  }
  registry.delete = (id, end = { closedBy: 'edge' }) => {
    const connection = registry.get(id)
    remove(id, end)
    if (!connection || !state.enabled) return
    const started = performance.now()
    observer.closed(connection, end)
    state.callMs += performance.now() - started
  }
  return state
}
