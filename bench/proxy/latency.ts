import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { openMany, type Target } from './raw-client.js'
import { destroyAll, sleep } from './echo-loop.js'
import { Opcode, encodeFrame } from './ws-wire.js'

/**
 * Open-loop latency: message k is scheduled at start + k/rate on connection k mod N, whether
 * or not earlier echoes came back, and latency is measured from that scheduled time, so a
 * stalled proxy is charged for every message it delayed (no coordinated omission).
 *
 * Node timers have 1 ms granularity, which would add up to a millisecond of send delay to every
 * sample. A worker thread sleeping with Atomics.wait (sub-millisecond) posts a tick each
 * period instead, and the main thread sends whatever is due; the load core is never spun.
 */

export interface LatencyParams {
  connections: number
  rate: number
  messageBytes: number
  warmupMs: number
  durationMs: number
}

export interface Percentiles {
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

export interface LatencyResult {
  connections: number
  failedConnections: number
  offeredRate: number
  achievedRate: number
  samples: number
  /** Milliseconds from the scheduled send time (the headline numbers). */
  fromScheduled: Percentiles
  /** Milliseconds from the actual send (service time only; for diagnosis). */
  fromSent: Percentiles
  /** Messages never sent because a connection already had QUEUE_CAPACITY outstanding. */
  overflowed: number
  /** Messages still unanswered after the drain period (counted at the drain time). */
  unanswered: number
}

const QUEUE_CAPACITY = 1024
const DRAIN_MS = 2000

const TICKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const stop = new Int32Array(workerData.stop)
const sleeper = new Int32Array(new SharedArrayBuffer(4))
let next = performance.now()
while (Atomics.load(stop, 0) === 0) {
  next += workerData.periodMs
  const wait = next - performance.now()
  if (wait > 0) Atomics.wait(sleeper, 0, 0, wait)
  else if (wait < -5) next = performance.now()
  parentPort.postMessage(0)
}
`

/** Per-connection FIFO of (scheduled, sent) times: echoes come back in order. */
class Outstanding {
  readonly scheduled = new Float64Array(QUEUE_CAPACITY)
  readonly sent = new Float64Array(QUEUE_CAPACITY)
  head = 0
  size = 0
}

export async function runLatency(target: Target, params: LatencyParams): Promise<LatencyResult> {
  const frame = encodeFrame(Opcode.binary, Buffer.alloc(params.messageBytes, 0x62), true)
  const capacity = Math.ceil(params.rate * (params.durationMs / 1000) * 1.05) + 16
  const fromScheduled = new Float64Array(capacity)
  const fromSent = new Float64Array(capacity)
  let samples = 0
  let answered = 0
  let measureStart = Infinity
  let measureEnd = Infinity
  const queues: Outstanding[] = []

  const { clients, failed } = await openMany(target, params.connections, 50, {
    onFrame: (client, opcode) => {
      if (opcode === Opcode.close) return client.destroy()
      const queue = queues[client.tag]
      if (queue === undefined || queue.size === 0) return
      const now = performance.now()
      const scheduled = queue.scheduled[queue.head]!
      const sent = queue.sent[queue.head]!
      queue.head = (queue.head + 1) % QUEUE_CAPACITY
      queue.size--
      if (scheduled >= measureStart && scheduled < measureEnd && samples < capacity) {
        answered++
        fromScheduled[samples] = now - scheduled
        fromSent[samples++] = now - sent
      }
    },
    onClose: () => {},
  }, 20_000)
  if (clients.length === 0) throw new Error(`no connection opened (${failed} failed)`)
  clients.forEach((client, index) => {
    client.tag = index
    queues.push(new Outstanding())
  })

  const intervalMs = 1000 / params.rate
  const start = performance.now() + 5
  measureStart = start + params.warmupMs
  measureEnd = measureStart + params.durationMs
  let sequence = 0
  let overflowed = 0
  const pump = (): void => {
    const now = performance.now()
    let due = start + sequence * intervalMs
    while (due <= now && due < measureEnd) {
      const index = sequence % clients.length
      const queue = queues[index]!
      const client = clients[index]!
      if (queue.size === QUEUE_CAPACITY || !client.open) {
        overflowed++
      } else {
        const slot = (queue.head + queue.size) % QUEUE_CAPACITY
        queue.scheduled[slot] = due
        queue.sent[slot] = now
        queue.size++
        client.send(frame)
      }
      due = start + ++sequence * intervalMs
    }
  }
  const stop = new SharedArrayBuffer(4)
  const ticker = new Worker(TICKER_SOURCE, { eval: true, workerData: { stop, periodMs: Math.max(0.1, intervalMs) } })
  ticker.on('message', pump)
  await sleep(measureEnd - performance.now())
  Atomics.store(new Int32Array(stop), 0, 1)
  await ticker.terminate()
  pump()
  const unanswered = await drain(queues, DRAIN_MS)
  // Unanswered messages count as at least as slow as the drain deadline.
  const drainedAt = performance.now()
  for (const queue of queues) {
    for (let i = 0; i < queue.size && samples < capacity; i++) {
      const slot = (queue.head + i) % QUEUE_CAPACITY
      if (queue.scheduled[slot]! < measureStart) continue
      fromScheduled[samples] = drainedAt - queue.scheduled[slot]!
      fromSent[samples++] = drainedAt - queue.sent[slot]!
    }
  }
  destroyAll(clients)
  return {
    connections: clients.length,
    failedConnections: failed,
    offeredRate: params.rate,
    achievedRate: answered / (params.durationMs / 1000),
    samples,
    fromScheduled: percentiles(fromScheduled.subarray(0, samples)),
    fromSent: percentiles(fromSent.subarray(0, samples)),
    overflowed,
    unanswered,
  }
}

async function drain(queues: Outstanding[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  let left = 0
  do {
    left = queues.reduce((sum, queue) => sum + queue.size, 0)
    if (left === 0) return 0
    await sleep(10)
  } while (performance.now() < deadline)
  return left
}

export function percentiles(values: Float64Array): Percentiles {
  const sorted = Float64Array.from(values).sort()
  const at = (q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  const sum = sorted.reduce((total, value) => total + value, 0)
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1), mean: sum / Math.max(1, sorted.length) }
}

