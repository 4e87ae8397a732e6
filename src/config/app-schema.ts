import { z } from 'zod'
import { duration, size } from './units.js'

/**
 * Config of an origin-less site: the app it runs instead of origins. Either `main` (an entry
 * module, bundled by Wedge) or `wrangler` (an existing wrangler.toml / wrangler.json(c),
 * whose main, durable_objects bindings, vars and rules are read); keys given here override
 * what the wrangler file says.
 */
export const durableObjectBindingSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'expected a JavaScript identifier (the env binding name)' })
    .describe('Name of the binding in `env` (e.g. ROOMS).'),
  class_name: z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'expected the exported class name' })
    .describe('The Durable Object class exported by the app\'s main module.'),
})

export const appLimitsSchema = z.strictObject({
  /** CPU time one event (request, message, alarm) may use before the app is terminated. */
  cpu: duration.default(50).describe('CPU time one event (request, message, alarm) may use; the app is terminated and restarted beyond it.'),
  /** Heap limit of the app's isolate. */
  memory: size.default(128 * 1024 * 1024).describe('Heap limit of the app\'s isolate.'),
})

export const appSchema = z.strictObject({
  main: z.string().min(1).optional().describe('Entry module (TypeScript or JavaScript), relative to the config file. Needs `main` or `wrangler`.'),
  wrangler: z.string().min(1).optional().describe('An existing wrangler.toml / wrangler.json(c) to read main, durable_objects, vars and rules from; keys given here override it.'),
  durable_objects: z.array(durableObjectBindingSchema).optional().describe('Durable Object namespace bindings.'),
  vars: z.record(z.string(), z.string()).optional().describe('Plain variables passed in `env`.'),
  /** Like vars, but never logged or shown by the admin API. Use ${ENV} interpolation. */
  secrets: z.record(z.string(), z.string()).optional().describe('Like vars, but never logged or shown by the admin API; use ${ENV} interpolation.'),
  /** Hosts the app may fetch(): exact names or "*.example.com". Empty = no outbound fetch. */
  fetch_allow: z.array(z.string().min(1)).default([]).describe('Hosts the app may fetch(): exact names or "*.example.com". Empty: no outbound fetch.'),
  limits: appLimitsSchema.default(() => appLimitsSchema.parse({})).describe('Per-event CPU and per-isolate memory limits.'),
  /** WebAssembly is removed from the isolate unless allowed (its memory escapes the heap limit). */
  allow_wasm: z.boolean().default(false).describe('Keep WebAssembly in the isolate (its memory is not counted by the heap limit).'),
  /** An object with no pending work is evicted from memory after this long; its sockets stay open. */
  hibernate_after: duration.default(10_000).describe('An object with no pending work is evicted from memory after this long; its sockets stay open.'),
  /** Largest WebSocket message a client may send to the app (close 1009 beyond it). */
  max_message_size: size.default(32 * 1024 * 1024).describe('Largest WebSocket message a client may send to the app; close 1009 beyond it.'),
})

export const runtimeSchema = z.strictObject({
  /** Runner processes hosting app isolates. */
  runners: z.number().int().min(1).max(64).default(1).describe('Runner processes hosting app isolates.'),
  /** Keep one runner started and idle, so a crashed one is replaced at once. */
  spare: z.boolean().default(true).describe('Keep one idle runner started so a crashed one is replaced at once.'),
  /** Start runners as this OS user / group (the edge must run as root to switch). */
  user: z.union([z.string(), z.number().int()]).optional().describe('Start runners as this OS user (the edge must run as root to switch).'),
  group: z.union([z.string(), z.number().int()]).optional().describe('Start runners with this OS group.'),
  /** A cgroup v2 directory runners are moved into (memory and CPU caps set by the operator). */
  cgroup: z.string().optional().describe('A cgroup v2 directory runners are moved into (memory and CPU caps set by the operator).'),
})

export type AppConfig = z.output<typeof appSchema>
export type RuntimeConfig = z.output<typeof runtimeSchema>
