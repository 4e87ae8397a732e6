import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadJob } from './load-generator.js'

/**
 * What runs on the load core: the origin and the load generator. The native (C, epoll) pair
 * in `native/` is preferred because a Node load side caps every fast proxy at its own speed
 * on a 2-core machine; the Node pair is the fallback when no C compiler is present
 * (or with BENCH_LOAD=node). The idle-connections job always uses the Node generator: it
 * only opens sockets, so its speed does not matter.
 */

export interface LoadSide {
  kind: 'native' | 'node'
  originCommand(): [string, string[]]
  loadCommand(job: LoadJob): [string, string[]]
}

const here = fileURLToPath(new URL('.', import.meta.url))
const repoRoot = join(here, '..', '..', '..')
const nativeSources = join(repoRoot, 'bench', 'proxy', 'native')

function nodeLoad(job: LoadJob): [string, string[]] {
  return [process.execPath, [join(here, 'load-generator.js'), JSON.stringify(job)]]
}

export const nodeLoadSide: LoadSide = {
  kind: 'node',
  originCommand: () => [process.execPath, [join(here, 'origin-server.js')]],
  loadCommand: nodeLoad,
}

/** Compiles native/origin.c and native/loadgen.c into `outDir`; returns the load side or why not. */
export function buildNativeLoadSide(outDir: string): LoadSide | string {
  mkdirSync(outDir, { recursive: true })
  const compiler = process.env.CC ?? 'cc'
  const builds: Array<[string, string[]]> = [
    ['origin', ['origin.c']],
    ['loadgen', ['loadgen.c', 'latency.c']],
  ]
  for (const [name, sources] of builds) {
    const built = spawnSync(compiler, ['-O2', '-o', join(outDir, name), ...sources.map((source) => join(nativeSources, source))], { encoding: 'utf8' })
    if (built.error !== undefined) return `${compiler} not runnable (${built.error.message})`
    if (built.status !== 0) return `${compiler} failed on ${sources.join(' ')}: ${built.stderr.trim().split('\n').slice(0, 3).join(' | ')}`
  }
  return {
    kind: 'native',
    originCommand: () => [join(outDir, 'origin'), []],
    loadCommand(job) {
      if (job.mode === 'idle') return nodeLoad(job)
      const params = Object.entries(job.params).map(([key, value]) => `${key}=${String(value)}`)
      return [join(outDir, 'loadgen'), [job.mode, `host=${job.target.host}`, `port=${job.target.port}`, ...params]]
    },
  }
}
