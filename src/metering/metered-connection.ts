/** Cumulative traffic of one direction of one connection, as the relay's frame scanner counts it. */
export interface DirectionCounters {
  messages: number
  frames: number
  /** Payload bytes of data frames (what the application sent). */
  payloadBytes: number
  /** Bytes on the wire, frame headers and control frames included. */
  wireBytes: number
}

/** What the meter reads from one open WebSocket, whatever serves it (origin, app or builtin). */
export interface MeteredConnection {
  readonly id: string
  readonly site: string
  /** Origin id for proxied sockets, 'app:<ClassName>' / 'app:worker' for app sockets, 'builtin:echo'. Bounded set per site. */
  readonly upstream: string
  readonly kind: 'proxy' | 'app' | 'builtin'
  /** Epoch ms when the connection was established; its connection time counts from here. */
  readonly startedAt: number
  /** Live cumulative counters since open (cheap to call: plain field reads). */
  traffic(): { fromClient: DirectionCounters; toClient: DirectionCounters }
}

/** How a connection ended, as given to `Meter.closed`. */
export interface ConnectionEnd {
  /** The close code sent or received; undefined when the socket ended without one. */
  closeCode?: number
  /** 'client', 'origin', 'edge', … (logged by the caller; not a metric label). */
  closedBy: string
  /** Set when the connection ended because of an error; counted as event "connection_error". */
  error?: string
}

export function emptyDirection(): DirectionCounters {
  return { messages: 0, frames: 0, payloadBytes: 0, wireBytes: 0 }
}
