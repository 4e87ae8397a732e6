/** Milliseconds per usage minute; records are keyed by the UTC minute they cover. */
export const MINUTE_MS = 60_000

/**
 * Usage of one site during one UTC minute. Every field is a sum, except `peakConcurrent`
 * (a maximum), so two records of the same (site, minute) merge by adding them.
 */
export interface UsageRecord {
  site: string
  /** Start of the minute, epoch ms (a multiple of 60,000). */
  minute: number
  /** Connection time accrued during this minute, exact, in ms. */
  connectionMs: number
  messagesFromClient: number
  messagesToClient: number
  payloadBytesFromClient: number
  payloadBytesToClient: number
  wireBytesFromClient: number
  wireBytesToClient: number
  /** Most connections of this site open at the same time during this minute. */
  peakConcurrent: number
  handshakesAccepted: number
  handshakesRefused: number
}

/** The fields that merge by addition, in the order the store's columns use. */
export const SUMMED_FIELDS = [
  'connectionMs',
  'messagesFromClient',
  'messagesToClient',
  'payloadBytesFromClient',
  'payloadBytesToClient',
  'wireBytesFromClient',
  'wireBytesToClient',
  'handshakesAccepted',
  'handshakesRefused',
] as const satisfies readonly (keyof UsageRecord)[]

export function emptyUsageRecord(site: string, minute: number): UsageRecord {
  return {
    site,
    minute,
    connectionMs: 0,
    messagesFromClient: 0,
    messagesToClient: 0,
    payloadBytesFromClient: 0,
    payloadBytesToClient: 0,
    wireBytesFromClient: 0,
    wireBytesToClient: 0,
    peakConcurrent: 0,
    handshakesAccepted: 0,
    handshakesRefused: 0,
  }
}

export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / MINUTE_MS) * MINUTE_MS
}
