import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, spawnPinned, stopChild, waitForPort, type Child } from '../proxy/processes.js'
import type { BenchApp } from './app-sources.js'
import { Lines } from './lines.js'
import { writeWorkerdConfig } from './workerd-config.js'

/**
 * The servers under test. Each runs in its own process group pinned to SERVER_CORE (a
 * Wedge edge forks its runner into the same group and onto the same core), so the group's
 * CPU time is the server's whole cost. The load side runs alone on LOAD_CORE.
 */

export const LOAD_CORE = 0
export const SERVER_CORE = 1

export interface RunningServer {
  name: string
  port: number
  child: Child
  lines: Lines
  stop(): Promise<void>
}

export interface ServerSpec {
  name: string
  /** Why it cannot run here, or undefined. */
  unavailable?(): string | undefined
  start(workDir: string): Promise<RunningServer>
}

const here = fileURLToPath(new URL('.', import.meta.url))
const START_TIMEOUT_MS = 20_000
/** workerd may ignore SIGTERM while clients are half-closed (research note §3): short grace. */
const WORKERD_GRACE_MS = 300

async function started(name: string, child: Child, lines: Lines, port: Promise<number>, graceMs = 2000): Promise<RunningServer> {
  try {
    return { name, port: await port, child, lines, stop: () => stopChild(child, graceMs) }
  } catch (error) {
    await stopChild(child, 200)
    throw error
  }
}

function portLine(lines: Lines): Promise<number> {
  return lines.next((line) => typeof line.port === 'number' ? line.port : undefined, START_TIMEOUT_MS)
}

/** A Node child that prints {"port":N}. */
async function nodeServer(name: string, script: string, args: string[], execArgv: string[] = []): Promise<RunningServer> {
  const child = spawnPinned(name, process.execPath, [...execArgv, join(here, script), ...args], { core: SERVER_CORE })
  const lines = new Lines(child)
  return started(name, child, lines, portLine(lines))
}

export function wedgeServer(name: string, app: BenchApp, hibernateAfter = '10s'): ServerSpec {
  return { name, start: () => nodeServer(name, 'wedge-app-server.js', [JSON.stringify({ app, hibernateAfter })]) }
}

export function wsServer(name: string, mode: 'echo' | 'broadcast'): ServerSpec {
  return { name, start: () => nodeServer(name, 'ws-servers.js', [mode]) }
}

function workerdBinary(): string | undefined {
  try {
    return join(createRequire(import.meta.url).resolve('workerd/package.json'), '..', 'bin', 'workerd')
  } catch {
    return undefined
  }
}

export function workerdServer(name: string, app: BenchApp): ServerSpec {
  return {
    name,
    unavailable: () => workerdBinary() === undefined ? 'npm package workerd not installed (npm install --save-dev workerd)' : undefined,
    async start(workDir) {
      const dir = join(workDir, name)
      mkdirSync(dir, { recursive: true })
      const port = await freePort()
      const config = writeWorkerdConfig(dir, app, port)
      const child = spawnPinned(name, workerdBinary()!, ['serve', config], { core: SERVER_CORE })
      return started(name, child, new Lines(child), waitForPort(port, START_TIMEOUT_MS, child).then(() => port), WORKERD_GRACE_MS)
    },
  }
}

/** The proxy benchmark's C echo origin on the server core: what the load side can drive at most. */
export function nativeEchoServer(name: string, originBinary: () => string | undefined): ServerSpec {
  return {
    name,
    unavailable: () => originBinary() === undefined ? 'no C compiler' : undefined,
    async start() {
      const child = spawnPinned(name, originBinary()!, [], { core: SERVER_CORE })
      const lines = new Lines(child)
      return started(name, child, lines, portLine(lines))
    },
  }
}
