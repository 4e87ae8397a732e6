import WebSocket from 'ws'

/**
 * Reaches into a running Node process of the server group (the edge, its runner) through
 * the inspector, without any flag at start: SIGUSR1 opens it on 127.0.0.1:9229, a CDP
 * session runs the commands, and the inspector is closed again so the next process can
 * use the port. Used to collect garbage before reading RSS (a runner is forked with fixed
 * flags, so --expose-gc is not an option) and to take CPU profiles under load.
 */

const INSPECTOR_PORT = 9229
const OPEN_TIMEOUT_MS = 3000

async function debuggerUrl(): Promise<string> {
  const deadline = Date.now() + OPEN_TIMEOUT_MS
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`)
      const targets = await response.json() as Array<{ webSocketDebuggerUrl?: string }>
      const url = targets[0]?.webSocketDebuggerUrl
      if (url) return url
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`inspector did not open on port ${INSPECTOR_PORT}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A CDP session on process `pid`; `work` gets a `call(method, params)`. */
export async function withInspector<T>(pid: number, work: (call: (method: string, params?: Record<string, unknown>) => Promise<unknown>) => Promise<T>): Promise<T> {
  process.kill(pid, 'SIGUSR1')
  const ws = new WebSocket(await debuggerUrl(), { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let nextId = 0
  const waiting = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { id?: number, result?: unknown, error?: { message: string } }
    const pending = message.id === undefined ? undefined : waiting.get(message.id)
    if (!pending) return
    waiting.delete(message.id!)
    if (message.error) pending.reject(new Error(message.error.message))
    else pending.resolve(message.result)
  })
  const call = (method: string, params: Record<string, unknown> = {}): Promise<unknown> => new Promise((resolve, reject) => {
    const id = ++nextId
    waiting.set(id, { resolve, reject })
    ws.send(JSON.stringify({ id, method, params }))
  })
  try {
    return await work(call)
  } finally {
    // Closing the inspector frees the port; the evaluation's own reply may never come.
    void call('Runtime.evaluate', { expression: "process.getBuiltinModule('node:inspector').close()" }).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    ws.terminate()
  }
}

/** A full garbage collection in process `pid`. */
export async function collectGarbage(pid: number): Promise<void> {
  await withInspector(pid, async (call) => {
    await call('HeapProfiler.collectGarbage')
  })
}

/** A CPU profile of process `pid` over `ms` (the .cpuprofile JSON). */
export async function cpuProfile(pid: number, ms: number): Promise<unknown> {
  return withInspector(pid, async (call) => {
    await call('Profiler.enable')
    await call('Profiler.setSamplingInterval', { interval: 100 })
    await call('Profiler.start')
    await new Promise((resolve) => setTimeout(resolve, ms))
    const { profile } = await call('Profiler.stop') as { profile: unknown }
    return profile
  })
}

/** A sampling allocation profile of process `pid` over `ms` (HeapProfiler.stopSampling's profile). */
export async function allocationProfile(pid: number, ms: number): Promise<unknown> {
  return withInspector(pid, async (call) => {
    await call('HeapProfiler.enable')
    await call('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    await new Promise((resolve) => setTimeout(resolve, ms))
    const { profile } = await call('HeapProfiler.stopSampling') as { profile: unknown }
    return profile
  })
}
