import { emptyUsageRecord, MINUTE_MS, minuteOf, SUMMED_FIELDS, type UsageRecord } from './usage-record.js'
import type { DirectionCounters } from './metered-connection.js'

/**
 * The usage records not yet written to the store, by minute then site. The meter adds to
 * them as it accounts; completed minutes are taken out and flushed.
 */
export class UsageMinutes {
  readonly #minutes = new Map<number, Map<string, UsageRecord>>()

  /** The pending record of (site, minute), created empty. `minute` must be a minute start. */
  record(site: string, minute: number): UsageRecord {
    let sites = this.#minutes.get(minute)
    if (!sites) this.#minutes.set(minute, (sites = new Map()))
    let record = sites.get(site)
    if (!record) sites.set(site, (record = emptyUsageRecord(site, minute)))
    return record
  }

  /**
   * Adds `count` connections' time over [from, to) (epoch ms), split exactly at minute
   * boundaries so that each minute gets only the milliseconds that fall inside it.
   */
  addConnectionTime(site: string, from: number, to: number, count = 1): void {
    while (from < to) {
      const minute = minuteOf(from)
      const end = Math.min(to, minute + MINUTE_MS)
      this.record(site, minute).connectionMs += (end - from) * count
      from = end
    }
  }

  addTraffic(site: string, minute: number, fromClient: DirectionCounters, toClient: DirectionCounters): void {
    const record = this.record(site, minute)
    record.messagesFromClient += fromClient.messages
    record.payloadBytesFromClient += fromClient.payloadBytes
    record.wireBytesFromClient += fromClient.wireBytes
    record.messagesToClient += toClient.messages
    record.payloadBytesToClient += toClient.payloadBytes
    record.wireBytesToClient += toClient.wireBytes
  }

  /** Records that `open` connections of `site` were open at the same time at `at`. */
  notePeak(site: string, at: number, open: number): void {
    const record = this.record(site, minuteOf(at))
    if (open > record.peakConcurrent) record.peakConcurrent = open
  }

  /** Removes and returns the records of every minute that starts before `before` (default: all). */
  take(before = Infinity): UsageRecord[] {
    const taken: UsageRecord[] = []
    for (const [minute, sites] of this.#minutes) {
      if (minute >= before) continue
      taken.push(...sites.values())
      this.#minutes.delete(minute)
    }
    return taken
  }

  /** Puts taken records back (a failed flush), merging with anything accrued since. */
  restore(records: readonly UsageRecord[]): void {
    for (const taken of records) {
      const record = this.record(taken.site, taken.minute)
      for (const field of SUMMED_FIELDS) record[field] += taken[field]
      record.peakConcurrent = Math.max(record.peakConcurrent, taken.peakConcurrent)
    }
  }

  /** Copies of the pending records, oldest minute first. */
  snapshot(): UsageRecord[] {
    return [...this.#minutes.keys()].sort((a, b) => a - b).flatMap((minute) => [...this.#minutes.get(minute)!.values()].map((record) => ({ ...record })))
  }
}
