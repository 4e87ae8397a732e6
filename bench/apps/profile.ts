import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep } from '../proxy/jobs.js'
import { installCleanup, killAllChildren } from '../proxy/processes.js'
import { echoObject, echoWorker, fanoutApp } from './app-sources.js'
import { groupMemory } from './idle-memory.js'
import { allocationProfile, cpuProfile } from './inspector.js'
import { buildNative, runLoad } from './load-jobs.js'
import { wedgeServer } from './servers.js'

/**
 * Developer tool: `node dist/bench/apps/profile.js [echo-object|echo-worker|room] [seconds]`.
 * Runs the Wedge app under the benchmark's load and takes a CPU profile of the edge, then
 * of the runner, through the inspector. Prints the functions with the most self time and
 * writes the .cpuprofile files (open them in Chrome DevTools) to a temp directory.
 */

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

interface HeapNode {
  callFrame: { functionName: string, url: string, lineNumber: number }
  selfSize: number
  children: HeapNode[]
}

function summariseHeap(root: HeapNode, top: number): string {
  const byFunction = new Map<string, number>()
  let total = 0
  const visit = (node: HeapNode): void => {
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize)
    total += node.selfSize
    for (const child of node.children) visit(child)
  }
  visit(root)
  return [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([key, size]) => `${(100 * size / total).toFixed(1).padStart(5)}%  ${(size / 1e6).toFixed(1).padStart(7)} MB  ${key}`).join('\n')
}

function summarise(profile: Profile, top: number): string {
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const byFunction = new Map<string, number>()
  let total = 0
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0
    total += time
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + time)
  }
  return [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([key, time]) => `${(100 * time / total).toFixed(1).padStart(5)}%  ${key}`).join('\n')
}

async function main(): Promise<void> {
  installCleanup()
  const which = process.argv[2] ?? 'echo-object'
  const seconds = Number(process.argv[3] ?? 3)
  const app = which === 'echo-worker' ? echoWorker : which === 'room' ? fanoutApp().app : echoObject(0)
  const workDir = mkdtempSync(join(tmpdir(), 'wedge-profile-'))
  const native = buildNative(join(workDir, 'native'))
  if (typeof native === 'string') throw new Error(native)
  const server = await wedgeServer('wedge', app).start(workDir)
  try {
    const processes = groupMemory(server.child.pgid).filter((p) => p.name === 'node')
    const mode = which === 'room' ? 'saturate' : 'echo'
    const params: Record<string, number | string> = which === 'room' ? { subscribers: 1000, window: 8, warmupMs: 1000, durationMs: 2 * seconds * 1000 + 5000, subPath: '/r', pubPath: '/r' } : { connections: 16, window: 32, warmupMs: 1000, durationMs: 2 * seconds * 1000 + 5000 }
    const load = runLoad(native.appload, mode, params, server, 2 * seconds * 1000 + 4000)
    await sleep(1500)
    for (const [index, target] of processes.entries()) {
      const label = index === 0 ? 'edge' : 'runner'
      const profile = await cpuProfile(target.pid, seconds * 1000) as Profile
      const file = join(tmpdir(), `wedge-${which}-${label}.cpuprofile`)
      writeFileSync(file, JSON.stringify(profile))
      console.log(`\n== ${label} (pid ${target.pid}) ${file}\n${summarise(profile, 40)}`)
      if (process.argv.includes('--alloc')) {
        const heap = await allocationProfile(target.pid, 1000) as { head: HeapNode }
        console.log(`\n== ${label} allocations (1 s)\n${summariseHeap(heap.head, 30)}`)
      }
    }
    const measured = await load
    console.log(`\nload: ${JSON.stringify(measured.result)} server CPU ${measured.serverCpuPercent.toFixed(0)}%`)
  } finally {
    await server.stop()
    killAllChildren()
    rmSync(workDir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  killAllChildren()
  process.exitCode = 1
})
