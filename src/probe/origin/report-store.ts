/** What the origin saw on one connection that carried `?id=…`; read back through `/report`. */
export interface HandshakeSummary {
  offeredProtocols: string[]
  selectedProtocol: string
  offeredExtensions: string | null
  negotiatedExtensions: string
}

export interface ConnectionReport extends HandshakeSummary {
  id: string
  endpoint: string
  openedAt: number
  messages: number
  bytes: number
  pingsReceived: number
  pingsSent: number
  pongsReceived: number
  close: { code: number; reason: string; afterMs: number } | null
}

const MAX_ENTRIES = 10_000
const ENTRY_TTL_MS = 10 * 60_000

/**
 * Bounded in-memory store: the origin may be exposed to the internet behind a CDN, so the
 * oldest entries are dropped past MAX_ENTRIES and entries expire after ENTRY_TTL_MS.
 */
export class ReportStore {
  #entries = new Map<string, ConnectionReport>()
  #closeWaiters = new Map<string, Set<() => void>>()

  open(id: string, endpoint: string, handshake: HandshakeSummary): ConnectionReport {
    this.#expire()
    const entry: ConnectionReport = {
      ...handshake, id, endpoint, openedAt: Date.now(), messages: 0, bytes: 0,
      pingsReceived: 0, pingsSent: 0, pongsReceived: 0, close: null,
    }
    this.#entries.delete(id)
    this.#entries.set(id, entry)
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
    return entry
  }

  closed(entry: ConnectionReport, code: number, reason: string): void {
    entry.close = { code, reason, afterMs: Date.now() - entry.openedAt }
    for (const wake of this.#closeWaiters.get(entry.id) ?? []) wake()
    this.#closeWaiters.delete(entry.id)
  }

  /** The entry once its close is known, or as it stands after `waitMs`. */
  async get(id: string, waitMs: number): Promise<ConnectionReport | undefined> {
    const entry = this.#entries.get(id)
    if ((entry && entry.close) || waitMs <= 0) return entry
    await new Promise<void>((resolve) => {
      const waiters = this.#closeWaiters.get(id) ?? new Set()
      const timer = setTimeout(done, waitMs)
      function done(): void {
        clearTimeout(timer)
        waiters.delete(done)
        resolve()
      }
      waiters.add(done)
      this.#closeWaiters.set(id, waiters)
    })
    return this.#entries.get(id)
  }

  #expire(): void {
    const cutoff = Date.now() - ENTRY_TTL_MS
    for (const [id, entry] of this.#entries) {
      if (entry.openedAt >= cutoff) break
      this.#entries.delete(id)
    }
  }
}
