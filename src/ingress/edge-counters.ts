import type { ErrorCode } from '../errors.js'

/**
 * Edge-wide counters of admissions and refusals by catalogue code. Plain maps read by logs
 * and, later, by metrics; nothing here allocates per accepted connection.
 */
export interface HandshakeObserver {
  handshake(site: string, outcome: 'accepted' | string): void
  limitHit(site: string, code: string): void
}

export class EdgeCounters {
  readonly refusals = new Map<ErrorCode, number>()
  readonly limitHits = new Map<ErrorCode, number>()
  readonly acceptedBySite = new Map<string, number>()
  readonly #observer: HandshakeObserver | undefined

  constructor(observer?: HandshakeObserver) {
    this.#observer = observer
  }

  /** A refused handshake or request; `site` when one was matched (metered per site). */
  refused(code: ErrorCode, site?: string): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1)
    if (site !== undefined) this.#observer?.handshake(site, code)
  }

  limitHit(code: ErrorCode, site?: string): void {
    this.limitHits.set(code, (this.limitHits.get(code) ?? 0) + 1)
    if (site !== undefined) this.#observer?.limitHit(site, code)
  }

  accepted(site: string): void {
    this.acceptedBySite.set(site, (this.acceptedBySite.get(site) ?? 0) + 1)
    this.#observer?.handshake(site, 'accepted')
  }

  snapshot(): { refusals: Record<string, number>; limitHits: Record<string, number>; accepted: Record<string, number> } {
    return {
      refusals: Object.fromEntries(this.refusals),
      limitHits: Object.fromEntries(this.limitHits),
      accepted: Object.fromEntries(this.acceptedBySite),
    }
  }
}
