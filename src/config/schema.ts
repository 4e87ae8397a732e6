import { z } from 'zod'
import { duration, listenAddress, size } from './units.js'

/**
 * The one config schema: the source of the config types, defaults and validation messages.
 * Every object is strict so that a misspelt key is refused with its path. Durations resolve
 * to milliseconds and sizes to bytes. Cross-field rules live in `validate.ts`.
 */

const positiveInt = z.number().int().positive()
const nonNegativeInt = z.number().int().nonnegative()

const originUrl = z.string().refine((text) => {
  try {
    const url = new URL(text)
    return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== ''
  } catch {
    return false
  }
}, { message: 'expected an origin URL such as "http://127.0.0.1:9101" (http, https, ws or wss)' })

export const originSchema = z.union([
  originUrl,
  z.strictObject({
    url: originUrl,
    weight: positiveInt.max(1000).default(1),
    max_connections: positiveInt.optional(),
  }),
]).transform((origin) => typeof origin === 'string' ? { url: origin, weight: 1, max_connections: undefined } : origin)

const hashKey = z.string().regex(/^(path|query:.+|header:.+|cookie:.+)$/, {
  message: 'expected "path", "query:NAME", "header:NAME" or "cookie:NAME"',
})

export const balanceSchema = z.strictObject({
  policy: z.enum(['round_robin', 'least_connections', 'hash']).default('round_robin'),
  hash_on: hashKey.optional(),
  /** How many origins one handshake or request may try before giving up (1 = no retry). */
  attempts: positiveInt.max(10).default(3),
})

export const healthCheckSchema = z.strictObject({
  path: z.string().startsWith('/').default('/'),
  interval: duration.default(5000),
  timeout: duration.default(2000),
  healthy_threshold: positiveInt.default(2),
  unhealthy_threshold: positiveInt.default(3),
  expect_status: z.array(z.number().int().min(100).max(599)).optional(),
})

export const passiveHealthSchema = z.strictObject({
  /** Consecutive connect failures or 5xx handshake answers that mark an origin down. */
  failures: positiveInt.default(3),
  /** How long an origin marked down passively is skipped before it is tried again. */
  cooldown: duration.default(10_000),
})

export const messageRateSchema = z.strictObject({
  per_second: positiveInt,
  burst: positiveInt.optional(),
  action: z.enum(['close', 'drop']).default('close'),
})

export const websocketSchema = z.strictObject({
  /** Largest message (sum of its frames' payloads) in either direction; close 1009 beyond it. */
  max_message_size: size.default(64 * 1024 * 1024),
  /** Messages per second from the client, per connection. */
  client_message_rate: messageRateSchema.optional(),
  /** Edge pings to the client every interval; 0 = off. */
  ping_interval: duration.default(0),
  /** Edge pings to the origin every interval; 0 = off. */
  origin_ping_interval: duration.default(0),
  /** How long a peer has to answer an edge ping. */
  ping_timeout: duration.default(10_000),
  /** Close after this long with no data frame either way; 0 = never (the default). */
  idle_timeout: duration.default(0),
  /** Bytes buffered towards one slow reader before the fast side is paused. */
  max_buffered: size.default(1024 * 1024),
  /** How long a reader may stay over max_buffered before it is closed with 1008. */
  slow_reader_timeout: duration.default(30_000),
})

export const siteLimitsSchema = z.strictObject({
  max_connections: positiveInt.optional(),
  max_connections_per_ip: positiveInt.optional(),
  handshakes_per_second_per_ip: positiveInt.optional(),
})

export const tlsFilesSchema = z.strictObject({
  cert: z.string().min(1),
  key: z.string().min(1),
})

export const originTlsSchema = z.strictObject({
  /** PEM file with the CA(s) that sign origin certificates; defaults to the system store. */
  ca: z.string().optional(),
  /** Verify origin certificates (default true). Turning it off is for tests only. */
  verify: z.boolean().default(true),
  /** SNI name and the name checked in the certificate; defaults to the origin's host. */
  servername: z.string().optional(),
})

export const timeoutsSchema = z.strictObject({
  connect: duration.default(5000),
  /** Time for the origin to answer an upgrade or send response headers. */
  response: duration.default(30_000),
  /** Time an HTTP request/response body may stay silent. */
  body: duration.default(60_000),
})

export const builtinSchema = z.enum(['welcome', 'echo'])

export const siteSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, { message: 'expected letters, digits, "_", "." or "-"' }),
  hosts: z.array(z.string().min(1)).min(1).default(['*']),
  path_prefix: z.string().startsWith('/').optional(),
  origins: z.array(originSchema).min(1).optional(),
  /** A handler served by the edge itself instead of origins. */
  builtin: builtinSchema.optional(),
  websocket: z.boolean().default(true),
  /** Send the client's Host to the origin (default) or the origin's own host. */
  preserve_host: z.boolean().default(true),
  balance: balanceSchema.default({ policy: 'round_robin', attempts: 3 }),
  health_check: healthCheckSchema.optional(),
  passive_health: passiveHealthSchema.default({ failures: 3, cooldown: 10_000 }),
  ws: websocketSchema.default(() => websocketSchema.parse({})),
  limits: siteLimitsSchema.default({}),
  timeouts: timeoutsSchema.default(() => timeoutsSchema.parse({})),
  tls: tlsFilesSchema.optional(),
  origin_tls: originTlsSchema.default({ verify: true }),
})

export const listenerSchema = z.strictObject({
  address: listenAddress,
  tls: tlsFilesSchema.optional(),
})

export const adminSchema = z.strictObject({
  listen: listenAddress,
})

export const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** "auto" prints readable lines on a terminal and JSON otherwise. */
  format: z.enum(['auto', 'json', 'pretty']).default('auto'),
})

export const serverSchema = z.strictObject({
  max_header_size: size.default(16 * 1024),
  header_timeout: duration.default(10_000),
  /** On SIGTERM, how long open connections may finish before they are closed with 1001. */
  drain_timeout: duration.default(30_000),
  /** How long an idle client HTTP keep-alive connection is kept open. */
  keep_alive_timeout: duration.default(5000),
})

export const configSchema = z.strictObject({
  /** Plain listener(s): "host:port". Use `listeners` for TLS. */
  listen: z.union([listenAddress, z.array(listenAddress)]).optional(),
  listeners: z.array(listenerSchema).optional(),
  admin: adminSchema.optional(),
  data_dir: z.string().default('.wedge'),
  log: logSchema.default({ level: 'info', format: 'auto' }),
  server: serverSchema.default(() => serverSchema.parse({})),
  sites: z.array(siteSchema).min(1),
})

export type ConfigInput = z.input<typeof configSchema>
export type ParsedConfig = z.output<typeof configSchema>
export type SiteConfig = z.output<typeof siteSchema>
export type OriginConfig = z.output<typeof originSchema>
export type BalanceConfig = z.output<typeof balanceSchema>
export type HealthCheckConfig = z.output<typeof healthCheckSchema>
export type PassiveHealthConfig = z.output<typeof passiveHealthSchema>
export type WebSocketConfig = z.output<typeof websocketSchema>
export type SiteLimitsConfig = z.output<typeof siteLimitsSchema>
export type TimeoutsConfig = z.output<typeof timeoutsSchema>
export type OriginTlsConfig = z.output<typeof originTlsSchema>
export type ListenerConfig = z.output<typeof listenerSchema>

/** The config after validation and resolution: listeners normalised, frozen. */
export interface ResolvedConfig extends Omit<ParsedConfig, 'listen' | 'listeners'> {
  listeners: ListenerConfig[]
}
