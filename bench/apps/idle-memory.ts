import { readdirSync, readFileSync } from 'node:fs'
import { sleep } from '../proxy/jobs.js'
import { spawnPinned, stopChild } from '../proxy/processes.js'
import { collectGarbage } from './inspector.js'
import { Lines } from './lines.js'
import { LOAD_CORE, type RunningServer } from './servers.js'

/**
 * Memory per idle socket in one room: the server group's RSS before, then with `sockets`
 * WebSockets connected to the room (each has sent one message and got its echo, so buffers
 * allocated on first data count), after the room's object was evicted when the server can
 * say so (Wedge: `stats` on stdin until liveObjects is 0). Done twice: the first fill also
 * charges the growth of every heap to its high-water mark (garbage of the upgrades, an
 * isolate heap no outside GC reaches, allocator arenas); the refill, after the first
 * sockets closed, is the memory each idle socket keeps. Every Node process of the group
 * (edge, runner) collects its garbage before each reading, so the figure is live memory,
 * not how far the heap happened to have grown. The idle clients (native/appload.c `idle`)
 * connect in waves and each sends a Ping as it opens and waits for the Pong: first data
 * through the socket's read and write paths, answered by the server's WebSocket layer
 * without waking the room (in a broadcast room a message would go to every other socket).
 */

export interface ProcessMemory {
  pid: number
  name: string
  rssBytes: number
}

/** One fill of the room: RSS before, `sockets` idle sockets connected, RSS after. */
export interface Fill {
  sockets: number
  failed: number
  before: ProcessMemory[]
  after: ProcessMemory[]
  bytesPerSocket: number
  /** true/false when the server reports it; undefined when it cannot tell (workerd, ws). */
  evicted: boolean | undefined
  /** Per process (edge, runner, ...): (after − before) / sockets. */
  perProcess: Array<{ name: string, pid: number, bytesPerSocket: number }>
}

export interface IdleMemoryResult {
  /** The first time the server holds that many sockets: includes its heaps' growth to get there. */
  first: Fill
  /** The same again after the first sockets closed: what each idle socket keeps (the target's figure). */
  refill: Fill
}

const SETTLE_MS = 1000
const EVICTION_TIMEOUT_MS = 20_000

/** VmRSS of every process in the group. */
export function groupMemory(pgid: number): ProcessMemory[] {
  const found: ProcessMemory[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) !== pgid) continue
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      const rssKib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0)
      found.push({ pid: Number(entry), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), rssBytes: rssKib * 1024 })
    } catch {
      // gone
    }
  }
  return found.sort((a, b) => a.pid - b.pid)
}

const total = (list: ProcessMemory[]): number => list.reduce((sum, process) => sum + process.rssBytes, 0)

async function stats(server: RunningServer): Promise<{ liveObjects: number, sockets: number }> {
  server.child.process.stdin!.write('stats\n')
  return server.lines.next((line) => line.stats as { liveObjects: number, sockets: number } | undefined, 5000)
}

/** Waits until the server says its objects were evicted (and, if given, holds `sockets`). */
async function waitEvicted(server: RunningServer, sockets?: number): Promise<boolean> {
  const deadline = Date.now() + EVICTION_TIMEOUT_MS
  let now = { liveObjects: -1, sockets: -1 }
  while (Date.now() < deadline) {
    now = await stats(server)
    if (now.liveObjects === 0 && (sockets === undefined || now.sockets >= sockets)) return true
    await sleep(250)
  }
  process.stderr.write(`[bench:apps] ${server.name}: object not evicted after ${EVICTION_TIMEOUT_MS} ms (${JSON.stringify(now)})\n`)
  return false
}

/** RSS of the group after a full GC in each of its Node processes. */
async function settledMemory(pgid: number): Promise<ProcessMemory[]> {
  for (const process of groupMemory(pgid)) {
    if (process.name === 'node') await collectGarbage(process.pid)
  }
  await sleep(SETTLE_MS)
  return groupMemory(pgid)
}

async function waitClosed(server: RunningServer, reportsEviction: boolean): Promise<void> {
  if (!reportsEviction) return sleep(SETTLE_MS)
  const deadline = Date.now() + EVICTION_TIMEOUT_MS
  while (Date.now() < deadline) {
    const now = await stats(server)
    if (now.sockets === 0 && now.liveObjects === 0) return
    await sleep(250)
  }
}

async function fill(server: RunningServer, sockets: number, appload: string, reportsEviction: boolean, path: string, measure = true): Promise<Fill> {
  const before = measure ? await settledMemory(server.child.pgid) : []
  const child = spawnPinned('idle sockets', appload, ['idle', 'host=127.0.0.1', `port=${server.port}`, `connections=${sockets}`, `path=${path}`, 'ping=1'], { core: LOAD_CORE })
  const lines = new Lines(child)
  try {
    const ready = await lines.next((line) => line.ready as { opened: number, failed: number, echoed: number, closedByServer: number } | undefined, 90_000)
    if (ready.closedByServer > 0) throw new Error(`the server closed ${ready.closedByServer} of ${ready.opened} idle sockets`)
    const evicted = reportsEviction && measure ? await waitEvicted(server, ready.opened) : undefined
    const after = measure ? await settledMemory(server.child.pgid) : []
    child.process.stdin!.write('release\n')
    await lines.next((line) => line.result, 20_000).catch(() => undefined)
    const perProcess = after.map((process) => {
      const earlier = before.find((candidate) => candidate.pid === process.pid)
      return { name: process.name, pid: process.pid, bytesPerSocket: (process.rssBytes - (earlier?.rssBytes ?? 0)) / Math.max(1, ready.opened) }
    })
    return {
      sockets: ready.opened,
      failed: ready.failed,
      before,
      after,
      bytesPerSocket: ready.opened === 0 ? NaN : (total(after) - total(before)) / ready.opened,
      evicted,
      perProcess,
    }
  } finally {
    await stopChild(child, 500)
  }
}

export async function measureIdleMemory(server: RunningServer, sockets: number, appload: string, reportsEviction: boolean, path: string): Promise<IdleMemoryResult> {
  // Warm-up: 200 sockets open, ping and close, so the room, the JIT and lazy buffers exist.
  await fill(server, 200, appload, reportsEviction, path, false)
  await waitClosed(server, reportsEviction)
  if (reportsEviction) await waitEvicted(server)
  const first = await fill(server, sockets, appload, reportsEviction, path)
  await waitClosed(server, reportsEviction)
  if (reportsEviction) await waitEvicted(server)
  const refill = await fill(server, sockets, appload, reportsEviction, path)
  return { first, refill }
}
