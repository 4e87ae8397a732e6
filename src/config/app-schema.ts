import { z } from 'zod'
import { duration, size } from './units.js'

/**
 * Config of an origin-less site: the app it runs instead of origins. Either `main` (an entry
 * module, bundled by Wedge) or `wrangler` (an existing wrangler.toml / wrangler.json(c),
 * whose main, durable_objects bindings, vars and rules are read); keys given here override
 * what the wrangler file says.
 */
export const durableObjectBindingSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'expected a JavaScript identifier (the env binding name)' }),
  class_name: z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'expected the exported class name' }),
})

export const appLimitsSchema = z.strictObject({
  /** CPU time one event (request, message, alarm) may use before the app is terminated. */
  cpu: duration.default(50),
  /** Heap limit of the app's isolate. */
  memory: size.default(128 * 1024 * 1024),
})

export const appSchema = z.strictObject({
  main: z.string().min(1).optional(),
  wrangler: z.string().min(1).optional(),
  durable_objects: z.array(durableObjectBindingSchema).optional(),
  vars: z.record(z.string(), z.string()).optional(),
  /** Like vars, but never logged or shown by the admin API. Use ${ENV} interpolation. */
  secrets: z.record(z.string(), z.string()).optional(),
  /** Hosts the app may fetch(): exact names or "*.example.com". Empty = no outbound fetch. */
  fetch_allow: z.array(z.string().min(1)).default([]),
  limits: appLimitsSchema.default(() => appLimitsSchema.parse({})),
  /** WebAssembly is removed from the isolate unless allowed (its memory escapes the heap limit). */
  allow_wasm: z.boolean().default(false),
  /** An object with no pending work is evicted from memory after this long; its sockets stay open. */
  hibernate_after: duration.default(10_000),
  /** Largest WebSocket message a client may send to the app (close 1009 beyond it). */
  max_message_size: size.default(32 * 1024 * 1024),
})

export const runtimeSchema = z.strictObject({
  /** Runner processes hosting app isolates. */
  runners: z.number().int().min(1).max(64).default(1),
  /** Keep one runner started and idle, so a crashed one is replaced at once. */
  spare: z.boolean().default(true),
  /** Start runners as this OS user / group (the edge must run as root to switch). */
  user: z.union([z.string(), z.number().int()]).optional(),
  group: z.union([z.string(), z.number().int()]).optional(),
  /** A cgroup v2 directory runners are moved into (memory and CPU caps set by the operator). */
  cgroup: z.string().optional(),
})

export type AppConfig = z.output<typeof appSchema>
export type RuntimeConfig = z.output<typeof runtimeSchema>
