import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { resolveConfig } from '../../src/config/resolve.js'
import { createEdge, type Edge } from '../../src/edge.js'
import { Client } from '../runtime/app-harness.js'

/** The repository's examples/ folder (tests run from dist/test/examples/). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url))

/** The wrangler.toml of an example, as an app site reads it. */
export function exampleWrangler(example: string): string {
  return path.join(EXAMPLES_DIR, example, 'wrangler.toml')
}

const cleanups = new WeakMap<TestContext, (() => unknown)[]>()

/**
 * Runs `fn` after the test, in reverse order of registration (node:test runs `t.after` hooks
 * first-in first-out, which would remove a directory before the process using it stops).
 */
export function onCleanup(t: TestContext, fn: () => unknown): void {
  let stack = cleanups.get(t)
  if (!stack) {
    const created: (() => unknown)[] = []
    stack = created
    cleanups.set(t, created)
    t.after(async () => {
      const errors: unknown[] = []
      for (const cleanup of created.reverse()) await Promise.resolve().then(cleanup).catch((error: unknown) => errors.push(error))
      if (errors.length > 0) throw errors[0]
    })
  }
  stack.push(fn)
}

/** A temp directory removed after the test (after everything registered later has stopped). */
export function tempDir(t: TestContext, prefix = 'wedge-example-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

/** An app site running an example from its wrangler.toml; `app` keys override it (as in a config). */
export function exampleSite(example: string, site: { name?: string; path_prefix?: string; app?: Record<string, unknown> } = {}): Record<string, unknown> {
  return { ...site, name: site.name ?? example, app: { wrangler: exampleWrangler(example), ...site.app } }
}

export interface ExampleEdge {
  edge: Edge
  httpUrl: string
  wsUrl: string
  /** http://127.0.0.1:PORT of the admin API, when started with `admin: true`. */
  adminUrl: string | undefined
  logs: Record<string, unknown>[]
  /** Stops the edge (once; later calls return the same promise). */
  stop(): Promise<void>
}

/** Starts a real edge on 127.0.0.1 port 0 (and the admin API on port 0 if asked); stopped after the test. */
export async function startExampleEdge(t: TestContext, options: { dataDir: string; sites: Record<string, unknown>[]; admin?: boolean }): Promise<ExampleEdge> {
  const config = resolveConfig({
    listen: '127.0.0.1:0',
    data_dir: options.dataDir,
    runtime: { runners: 1, spare: false },
    log: { level: 'debug' },
    ...(options.admin ? { admin: { listen: '127.0.0.1:0' } } : {}),
    sites: options.sites,
  })
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const edge = createEdge(config, { logger: pino({ level: 'debug' }, sink) })
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => (stopping ??= edge.stop(0))
  onCleanup(t, stop)
  // A start that fails half-way must not leave runner processes keeping the test alive.
  const addresses = await edge.start().catch(async (error: unknown) => {
    await stop().catch(() => {})
    throw error
  })
  const port = addresses.listeners[0]!.port
  return {
    edge,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    adminUrl: addresses.admin ? `http://127.0.0.1:${addresses.admin.port}` : undefined,
    logs,
    stop,
  }
}

/** A client of a JSON WebSocket protocol: awaits messages in order, or the first that matches. */
export class JsonClient {
  readonly client: Client

  private constructor(client: Client) {
    this.client = client
  }

  static async open(t: TestContext, url: string): Promise<JsonClient> {
    return new JsonClient(await Client.open(t, url))
  }

  send(message: unknown): void {
    this.client.send(JSON.stringify(message))
  }

  async next<T = Record<string, unknown>>(timeoutMs = 5000): Promise<T> {
    return JSON.parse(await this.client.next(timeoutMs)) as T
  }

  /** Skips messages until one has `type` (and passes `match`); rejects after `timeoutMs`. */
  async until<T = Record<string, unknown>>(type: string, match: (message: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${type} message within ${timeoutMs} ms`)
      const message = await this.next<T & { type: string }>(left)
      if (message.type === type && match(message)) return message
    }
  }

  /** Resolves true if nothing arrives within `ms`. */
  silentFor(ms: number): Promise<boolean> {
    return this.client.silentFor(ms)
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    return this.client.close(code)
  }

  get closed(): Promise<{ code: number; reason: string }> {
    return this.client.closed
  }
}
