import type { ErrorCode } from '../errors.js'

/**
 * Edge-wide counters of admissions and refusals by catalogue code. Plain maps read by logs
 * and, later, by metrics; nothing here allocates per accepted connection.
 */
export class EdgeCounters {
  readonly refusals = new Map<ErrorCode, number>()
  readonly limitHits = new Map<ErrorCode, number>()
  readonly acceptedBySite = new Map<string, number>()

  refused(code: ErrorCode): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1)
  }

  limitHit(code: ErrorCode): void {
    this.limitHits.set(code, (this.limitHits.get(code) ?? 0) + 1)
  }

  accepted(site: string): void {
    this.acceptedBySite.set(site, (this.acceptedBySite.get(site) ?? 0) + 1)
  }

  snapshot(): { refusals: Record<string, number>; limitHits: Record<string, number>; accepted: Record<string, number> } {
    return {
      refusals: Object.fromEntries(this.refusals),
      limitHits: Object.fromEntries(this.limitHits),
      accepted: Object.fromEntries(this.acceptedBySite),
    }
  }
}
