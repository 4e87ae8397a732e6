import type { ErrorCode } from '../errors.js'
import type { ConnectionEnd, MeteredConnection } from '../metering/metered-connection.js'

/**
 * What the edge knows about one open WebSocket, whatever serves it (origin, app or
 * builtin). `traffic()` returns live counters (for proxied sockets, the scanners themselves).
 */
export interface LiveConnection extends MeteredConnection {
  readonly clientIp: string
  readonly path: string
  /** The origin id for proxied sockets, `app:<site>` for app sockets, the builtin's name otherwise. */
  readonly upstream: string
  /** Closes the connection from the edge with a close frame to both sides. */
  close(code: ErrorCode | number, reason?: string): void
}

/** Told of every connection that opens and closes (the meter). */
export interface ConnectionObserver {
  opened(connection: LiveConnection): void
  closed(connection: LiveConnection, end: ConnectionEnd): void
}

let nextId = 0

/** Connection ids are unique per process and sortable by age. */
export function newConnectionId(): string {
  nextId++
  return `${Date.now().toString(36)}-${nextId.toString(36)}`
}

/**
 * The set of open connections, for graceful stop and (later) the admin API. Membership is
 * the only state here: counters live on the connections themselves.
 */
export class ConnectionRegistry {
  readonly #connections = new Map<string, LiveConnection>()
  readonly #observer: ConnectionObserver | undefined
  #emptyWaiters: (() => void)[] = []

  constructor(observer?: ConnectionObserver) {
    this.#observer = observer
  }

  add(connection: LiveConnection): void {
    this.#connections.set(connection.id, connection)
    this.#observer?.opened(connection)
  }

  delete(id: string, end: ConnectionEnd = { closedBy: 'edge' }): void {
    const connection = this.#connections.get(id)
    if (!connection) return
    this.#connections.delete(id)
    this.#observer?.closed(connection, end)
    if (this.#connections.size === 0 && this.#emptyWaiters.length > 0) {
      const waiters = this.#emptyWaiters
      this.#emptyWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  get size(): number {
    return this.#connections.size
  }

  get(id: string): LiveConnection | undefined {
    return this.#connections.get(id)
  }

  values(): IterableIterator<LiveConnection> {
    return this.#connections.values()
  }

  /** Resolves when no connection is left, or after `timeoutMs`; true when empty. */
  waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    if (this.#connections.size === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.#connections.size === 0), timeoutMs)
      this.#emptyWaiters.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}
