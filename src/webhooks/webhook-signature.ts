import { createHmac, timingSafeEqual } from 'node:crypto'

/** Header names of a signed delivery. */
export const SIGNATURE_HEADER = 'x-wedge-signature'
export const TIMESTAMP_HEADER = 'x-wedge-timestamp'

/**
 * `sha256=` + hex HMAC-SHA256 (RFC 2104) with the site's secret over `<timestamp>.<body>`,
 * the timestamp being the `X-Wedge-Timestamp` header (Unix seconds). Signing the timestamp
 * lets a receiver refuse old deliveries replayed by someone who captured one.
 */
export function webhookSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`
}

/**
 * What a receiver runs: true when `signature` is the one for this body and timestamp, and the
 * timestamp is within `toleranceSeconds` of `now` (epoch ms). Constant-time comparison.
 */
export function verifyWebhookSignature(secret: string, headers: { timestamp: string | undefined; signature: string | undefined }, body: string | Buffer, options: { toleranceSeconds?: number; now?: number } = {}): boolean {
  const { timestamp, signature } = headers
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false
  const age = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp))
  if (age > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(webhookSignature(secret, timestamp, body))
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
