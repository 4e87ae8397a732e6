/**
 * Self-watchdog. Some V8 out-of-memory paths wedge the thread inside a synchronous call into
 * an isolate (see shared/research/sandbox-options.md): the runner then neither answers nor
 * exits. A worker thread watches the main thread's heartbeat and SIGKILLs the process when
 * it stalls, so the gateway sees an exit instead of a silent, live runner.
 */
import { Worker } from 'node:worker_threads'

const WATCHER = `
const { workerData } = require('node:worker_threads')
const view = new Int32Array(workerData.shared)
for (;;) {
  Atomics.wait(view, 2, 0, 200)
  const now = Math.floor((Date.now() - workerData.base) / 100)
  if (now - Atomics.load(view, 0) > Atomics.load(view, 1)) {
    require('node:fs').writeSync(2, 'wedge runner: main thread stalled; killing the process\\n')
    process.kill(process.pid, 'SIGKILL')
  }
}
`

export class Watchdog {
  #view: Int32Array
  #base = Date.now()
  #worker: Worker

  /** Kills the process when the main thread misses heartbeats for `stallMs`. */
  constructor(stallMs: number) {
    const shared = new SharedArrayBuffer(12)
    this.#view = new Int32Array(shared)
    this.stallMs = stallMs
    this.beat()
    this.#worker = new Worker(WATCHER, { eval: true, workerData: { shared, base: this.#base } })
    this.#worker.unref()
    setInterval(() => this.beat(), 250).unref()
  }

  set stallMs(ms: number) {
    Atomics.store(this.#view, 1, Math.ceil(ms / 100))
  }

  beat(): void {
    Atomics.store(this.#view, 0, Math.floor((Date.now() - this.#base) / 100))
  }
}
