/** Traffic of one direction of a connection; the relay's DirectionCounters fit. */
export interface TrafficCounts {
  messages: number
  payloadBytes: number
  wireBytes: number
}

/** A WebSocket opened: what `WebhookSender.connected` needs. */
export interface ConnectInfo {
  site: string
  connectionId: string
  clientIp: string
  /** Request path of the upgrade; leave the query out, it may carry credentials. */
  path: string
  /** Origin URL, "app:<site>" or "builtin:echo". */
  upstream: string
  /** Epoch ms of the event; default now. */
  at?: number
}

/** A WebSocket closed: what `WebhookSender.disconnected` needs. */
export interface DisconnectInfo extends ConnectInfo {
  /** Epoch ms the connection opened (the duration counts from here). */
  startedAt: number
  fromClient: TrafficCounts
  toClient: TrafficCounts
  /** The close code sent or received; undefined when the socket ended without one. */
  closeCode: number | undefined
  closeReason?: string
  /** "client", "origin", "edge" … */
  closedBy: string
}

interface WireTraffic {
  messages: number
  payload_bytes: number
  wire_bytes: number
}

/** One event as POSTed (docs/admin-api.md, "Webhooks"). */
export interface ConnectEvent {
  type: 'connect'
  /** Unique per event: a receiver can drop a duplicate delivered twice by a retry. */
  id: string
  site: string
  connection_id: string
  client_ip: string
  path: string
  upstream: string
  at: string
}

export interface DisconnectEvent extends Omit<ConnectEvent, 'type'> {
  type: 'disconnect'
  started_at: string
  duration_ms: number
  from_client: WireTraffic
  to_client: WireTraffic
  close_code: number | null
  close_reason: string
  closed_by: string
}

export type WebhookEvent = ConnectEvent | DisconnectEvent

/** The body of one POST: a batch of events, oldest first. */
export interface WebhookBody {
  events: WebhookEvent[]
}

export function connectEvent(info: ConnectInfo, now: number): ConnectEvent {
  return {
    type: 'connect',
    id: `${info.connectionId}:connect`,
    site: info.site,
    connection_id: info.connectionId,
    client_ip: info.clientIp,
    path: info.path,
    upstream: info.upstream,
    at: new Date(info.at ?? now).toISOString(),
  }
}

export function disconnectEvent(info: DisconnectInfo, now: number): DisconnectEvent {
  const at = info.at ?? now
  return {
    type: 'disconnect',
    id: `${info.connectionId}:disconnect`,
    site: info.site,
    connection_id: info.connectionId,
    client_ip: info.clientIp,
    path: info.path,
    upstream: info.upstream,
    at: new Date(at).toISOString(),
    started_at: new Date(info.startedAt).toISOString(),
    duration_ms: Math.max(0, Math.round(at - info.startedAt)),
    // Copied now: the counters handed in may be live objects that keep changing.
    from_client: wireTraffic(info.fromClient),
    to_client: wireTraffic(info.toClient),
    close_code: info.closeCode ?? null,
    close_reason: info.closeReason ?? '',
    closed_by: info.closedBy,
  }
}

function wireTraffic(counts: TrafficCounts): WireTraffic {
  return { messages: counts.messages, payload_bytes: counts.payloadBytes, wire_bytes: counts.wireBytes }
}
