import { z } from 'zod'
import { nameType } from './type-names.js'
import { duration, listenAddress, size } from './units.js'
import { appSchema, runtimeSchema } from './app-schema.js'

/**
 * The one config schema: the source of the config types, defaults, validation messages and
 * the reference in docs/configuration.md (generated from the `.describe()` texts by
 * `src/config/docs.ts`). Every object is strict so that a misspelt key is refused with its
 * path. Durations resolve to milliseconds and sizes to bytes. Cross-field rules live in
 * `rules.ts`.
 */

const positiveInt = z.number().int().positive()
const nonNegativeInt = z.number().int().nonnegative()

const originUrl = nameType(z.string().refine((text) => {
  try {
    const url = new URL(text)
    return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && url.hostname !== ''
  } catch {
    return false
  }
}, { message: 'expected an origin URL such as "http://127.0.0.1:9101" (http, https, ws or wss)' }), { name: 'URL' })

export const originSchema = z.union([
  originUrl,
  z.strictObject({
    url: originUrl.describe('Origin URL: http, https, ws or wss, with host and optional port ("http://10.0.0.5:9000").'),
    weight: positiveInt.max(1000).default(1).describe('Relative share of new connections given to this origin (1-1000).'),
    max_connections: positiveInt.optional().describe('Most connections open to this origin at once; a full origin is skipped.'),
  }),
]).transform((origin) => typeof origin === 'string' ? { url: origin, weight: 1, max_connections: undefined } : origin)

const hashKey = nameType(z.string().regex(/^(path|query:.+|header:.+|cookie:.+)$/, {
  message: 'expected "path", "query:NAME", "header:NAME" or "cookie:NAME"',
}), { name: '"path", "query:NAME", "header:NAME" or "cookie:NAME"' })

export const balanceSchema = z.strictObject({
  policy: z.enum(['round_robin', 'least_connections', 'hash']).default('round_robin')
    .describe('How an origin is chosen for each new connection or request.'),
  hash_on: hashKey.optional()
    .describe('With policy "hash": the request part hashed so that one client keeps reaching the same origin. Only allowed with policy "hash".'),
  attempts: positiveInt.max(10).default(3)
    .describe('How many origins one handshake or request may try before giving up (1 = no retry).'),
})

export const healthCheckSchema = z.strictObject({
  path: z.string().startsWith('/').default('/').describe('HTTP path requested on each origin.'),
  interval: duration.default(5000).describe('Time between two checks of one origin.'),
  timeout: duration.default(2000).describe('Time one check may take; must be shorter than `interval`.'),
  healthy_threshold: positiveInt.default(2).describe('Consecutive passed checks that mark a down origin up again.'),
  unhealthy_threshold: positiveInt.default(3).describe('Consecutive failed checks that mark an origin down.'),
  expect_status: z.array(z.number().int().min(100).max(599)).optional()
    .describe('HTTP status codes that count as healthy (when absent: any status below 400).'),
})

export const passiveHealthSchema = z.strictObject({
  failures: positiveInt.default(3)
    .describe('Consecutive connect failures or 5xx handshake answers that mark an origin down.'),
  cooldown: duration.default(10_000)
    .describe('How long an origin marked down passively is skipped before it is tried again.'),
})

export const messageRateSchema = z.strictObject({
  per_second: positiveInt.describe('Sustained messages per second allowed from one client connection.'),
  burst: positiveInt.optional().describe('Messages allowed at once above the sustained rate (when absent: per_second).'),
  action: z.enum(['close', 'drop']).default('close')
    .describe('Over the limit: "close" the connection with 1008, or "drop" the excess messages.'),
})

export const websocketSchema = z.strictObject({
  max_message_size: size.default(64 * 1024 * 1024)
    .describe('Largest message (sum of its frames\' payloads) in either direction; close 1009 beyond it.'),
  client_message_rate: messageRateSchema.optional()
    .describe('Messages per second from the client, per connection; no limit when absent.'),
  ping_interval: duration.default(0).describe('Edge pings the client every interval; 0 = off.'),
  origin_ping_interval: duration.default(0).describe('Edge pings the origin every interval; 0 = off.'),
  ping_timeout: duration.default(10_000)
    .describe('How long a peer has to answer an edge ping; must be shorter than the ping intervals in use.'),
  idle_timeout: duration.default(0).describe('Close after this long with no data frame either way; 0 = never.'),
  max_buffered: size.default(1024 * 1024).describe('Bytes buffered towards one slow reader before the fast side is paused.'),
  slow_reader_timeout: duration.default(30_000)
    .describe('How long a reader may stay over max_buffered before it is closed with 1008.'),
})

export const siteLimitsSchema = z.strictObject({
  max_connections: positiveInt.optional().describe('Most open connections to this site; more are refused with 503.'),
  max_connections_per_ip: positiveInt.optional().describe('Most open connections from one client IP; more are refused with 429.'),
  handshakes_per_second_per_ip: positiveInt.optional()
    .describe('New connections per second from one client IP; more are refused with 429.'),
})

export const tlsFilesSchema = z.strictObject({
  cert: z.string().min(1).describe('PEM certificate (chain) file; relative to the config file\'s directory.'),
  key: z.string().min(1).describe('PEM private key file; relative to the config file\'s directory.'),
})

export const originTlsSchema = z.strictObject({
  ca: z.string().optional()
    .describe('PEM file with the CA(s) that sign origin certificates; relative to the config file. When absent: the system store.'),
  verify: z.boolean().default(true).describe('Verify origin certificates. Turning it off is for tests only.'),
  servername: z.string().optional()
    .describe('SNI name sent and name checked in the certificate (when absent: the origin\'s host).'),
})

export const timeoutsSchema = z.strictObject({
  connect: duration.default(5000).describe('Time to open the TCP (and TLS) connection to an origin.'),
  response: duration.default(30_000).describe('Time for the origin to answer an upgrade or send response headers.'),
  body: duration.default(60_000).describe('Time an HTTP request/response body may stay silent.'),
})

export const builtinSchema = z.enum(['welcome', 'echo'])

const webhookUrl = nameType(z.string().refine((text) => {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}, { message: 'expected an http or https URL such as "https://hooks.example.com/wedge"' }), { name: 'URL' })

export const webhookSchema = z.strictObject({
  url: webhookUrl.describe('Where the events are POSTed as JSON (http or https).'),
  events: z.array(z.enum(['connect', 'disconnect'])).min(1).default(['connect', 'disconnect'])
    .describe('Which events are sent: "connect" (a WebSocket opened) and "disconnect" (it closed).'),
  secret: z.string().min(1).optional()
    .describe('Signs each POST with HMAC-SHA256 in the `X-Wedge-Signature` header (docs/admin-api.md); use ${ENV} interpolation.'),
  timeout: duration.default(5000).describe('Time one POST may take before it counts as failed.'),
  max_attempts: positiveInt.max(20).default(5)
    .describe('Attempts per batch of events, the first included; retries wait retry_delay, then twice as long each time (with jitter).'),
  retry_delay: duration.default(500).describe('Wait before the first retry; each further retry waits twice as long.'),
  max_queue: positiveInt.max(1_000_000).default(10_000)
    .describe('Most events waiting for delivery; when full the oldest is dropped and counted.'),
})

export const siteSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, { message: 'expected letters, digits, "_", "." or "-"' })
    .describe('Unique name of the site, used in logs and metrics.'),
  hosts: z.array(z.string().min(1)).min(1).default(['*'])
    .describe('Host names served: exact ("api.example.com"), wildcard ("*.example.com") or "*" for any host.'),
  path_prefix: z.string().startsWith('/').optional()
    .describe('Serve only paths under this prefix; the longest matching prefix wins. When absent: every path.'),
  origins: z.array(originSchema).min(1).optional()
    .describe('Origins to proxy to: URLs, or objects with `url`, `weight`, `max_connections`. A site has exactly one of `origins`, `builtin` or `app`.'),
  builtin: builtinSchema.optional()
    .describe('A handler served by the edge itself instead of origins: "welcome" (a page at / and a WebSocket echo at /echo) or "echo".'),
  app: appSchema.optional()
    .describe('An origin-less app run in the edge (Workers / Durable Objects API) instead of origins.'),
  websocket: z.boolean().default(true).describe('Accept WebSocket upgrades; when false they are refused with 426.'),
  preserve_host: z.boolean().default(true).describe('Send the client\'s Host to the origin (true) or the origin\'s own host (false).'),
  balance: balanceSchema.default({ policy: 'round_robin', attempts: 3 }).describe('How origins are chosen.'),
  health_check: healthCheckSchema.optional().describe('Active HTTP health checks of the origins; off when absent.'),
  passive_health: passiveHealthSchema.default({ failures: 3, cooldown: 10_000 })
    .describe('Marking origins down from failures seen on real traffic.'),
  ws: websocketSchema.default(() => websocketSchema.parse({})).describe('Limits and keep-alive for WebSocket connections.'),
  limits: siteLimitsSchema.default({}).describe('Connection limits against abuse; each is off when absent.'),
  timeouts: timeoutsSchema.default(() => timeoutsSchema.parse({})).describe('Timeouts towards the origins.'),
  tls: tlsFilesSchema.optional().describe('Certificate for this site\'s hosts on TLS listeners (chosen by SNI).'),
  origin_tls: originTlsSchema.default({ verify: true }).describe('TLS towards https and wss origins.'),
  webhooks: webhookSchema.optional()
    .describe('POST connect and disconnect events of this site\'s WebSockets to a URL; off when absent. Delivery never delays the connections.'),
})

export const listenerSchema = z.strictObject({
  address: listenAddress.describe('Address to listen on: "host:port", ":port" or a port (host 127.0.0.1).'),
  tls: tlsFilesSchema.optional().describe('Serve TLS on this listener with this certificate and key; plain when absent.'),
})

export const adminTokenSchema = z.strictObject({
  token: z.string().min(16, { message: 'expected at least 16 characters (for example from "openssl rand -hex 32")' })
    .describe('A bearer token (at least 16 characters); use ${ENV} interpolation so it stays out of the file.'),
  role: z.enum(['admin', 'read'])
    .describe('"admin" may do everything; "read" may only read (GET): no deploy, rollback or closing connections.'),
})

export const adminSchema = z.strictObject({
  listen: listenAddress.describe('Address of the admin endpoint; keep it on a private interface.'),
  tokens: z.array(adminTokenSchema).default([])
    .describe('Bearer tokens accepted by the admin API and dashboard. Without any, the admin endpoint only listens on loopback.'),
})

export const logSchema = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info')
    .describe('Lowest level logged.'),
  format: z.enum(['auto', 'json', 'pretty']).default('auto')
    .describe('"auto" prints readable lines on a terminal and JSON otherwise.'),
})

export const serverSchema = z.strictObject({
  max_header_size: size.default(16 * 1024).describe('Largest request head (request line and headers) accepted; 431 beyond it.'),
  header_timeout: duration.default(10_000).describe('Time a client has to send the whole request head; 408 after it.'),
  drain_timeout: duration.default(30_000)
    .describe('On SIGTERM, how long open connections may finish before they are closed with 1001.'),
  keep_alive_timeout: duration.default(5000).describe('How long an idle client HTTP keep-alive connection is kept open.'),
})

export const configSchema = z.strictObject({
  listen: z.union([listenAddress, z.array(listenAddress)]).optional()
    .describe('Plain listener address(es): "host:port" or a list of them. Use `listeners` for TLS. With neither: 127.0.0.1:8080.'),
  listeners: z.array(listenerSchema).optional().describe('Listeners with options such as TLS; used together with `listen`.'),
  admin: adminSchema.optional().describe('The admin HTTP endpoint; off when absent.'),
  data_dir: z.string().default('.wedge')
    .describe('Directory for runtime files such as the pidfile `wedge.pid`; relative to the config file\'s directory.'),
  log: logSchema.default({ level: 'info', format: 'auto' }).describe('Logging.'),
  server: serverSchema.default(() => serverSchema.parse({})).describe('The client-facing HTTP server.'),
  runtime: runtimeSchema.default(() => runtimeSchema.parse({})).describe('Runner processes for origin-less apps.'),
  sites: z.array(siteSchema).min(1).describe('The sites served; at least one.'),
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
export type AdminConfig = z.output<typeof adminSchema>
export type AdminTokenConfig = z.output<typeof adminTokenSchema>
export type WebhookConfig = z.output<typeof webhookSchema>

/** The config after validation and resolution: listeners normalised, frozen. */
export interface ResolvedConfig extends Omit<ParsedConfig, 'listen' | 'listeners'> {
  listeners: ListenerConfig[]
}
