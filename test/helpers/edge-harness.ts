import pino from 'pino'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { createEdge, type Edge, type EdgeOptions } from '../../src/edge.js'
import { resolveConfig } from '../../src/config/resolve.js'

export interface RunningEdge {
  edge: Edge
  port: number
  /** ws://127.0.0.1:PORT (or wss://) */
  wsUrl: string
  httpUrl: string
  /** Structured log lines the edge wrote, parsed. */
  logs: Record<string, unknown>[]
  stop(drainMs?: number): Promise<void>
}

/**
 * Starts a real edge on 127.0.0.1 port 0 from a config object (defaults: one listener).
 * Logs are captured in memory so tests can assert on the open/close lines.
 */
export async function startEdge(config: Record<string, unknown>, options: EdgeOptions = {}): Promise<RunningEdge> {
  // Each edge gets its own data directory (usage records, app versions) unless one is given.
  const ownDataDir = config.data_dir === undefined ? mkdtempSync(path.join(tmpdir(), 'wedge-test-')) : undefined
  const resolved = resolveConfig({ listen: '127.0.0.1:0', ...(ownDataDir ? { data_dir: ownDataDir } : {}), ...config })
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const logger = options.logger ?? pino({ level: 'debug' }, sink)
  const edge = createEdge(resolved, { ...options, logger })
  const addresses = await edge.start()
  const first = addresses.listeners[0]!
  const scheme = first.tls ? 's' : ''
  return {
    edge,
    port: first.port,
    wsUrl: `ws${scheme}://127.0.0.1:${first.port}`,
    httpUrl: `http${scheme}://127.0.0.1:${first.port}`,
    logs,
    stop: async (drainMs = 0) => {
      await edge.stop(drainMs)
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true })
    },
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
