import { createInterface } from 'node:readline'
import { runEchoLoop, type EchoLoopParams } from './echo-loop.js'
import { runLatency, type LatencyParams } from './latency.js'
import { runHandshakes, type HandshakeParams } from './handshakes.js'
import { holdIdle, type IdleParams } from './idle.js'
import type { Target } from './raw-client.js'

/**
 * Child-process entry of the load generator: `node load-generator.js '<job json>'`.
 * Prints one JSON line `{"result": ...}` (or `{"error": "..."}`) and exits. The idle mode
 * prints `{"ready": ...}`, waits for a line on stdin (or stdin's end), then releases and exits.
 */

export type LoadJob =
  | { mode: 'echo', target: Target, params: EchoLoopParams }
  | { mode: 'latency', target: Target, params: LatencyParams }
  | { mode: 'handshakes', target: Target, params: HandshakeParams }
  | { mode: 'idle', target: Target, params: IdleParams }

const HARD_LIMIT_MS = 120_000

async function run(job: LoadJob): Promise<unknown> {
  switch (job.mode) {
    case 'echo': return runEchoLoop(job.target, job.params)
    case 'latency': return runLatency(job.target, job.params)
    case 'handshakes': return runHandshakes(job.target, job.params)
    case 'idle': return idle(job.target, job.params)
  }
}

async function idle(target: Target, params: IdleParams): Promise<unknown> {
  const hold = await holdIdle(target, params)
  const summary = { opened: hold.opened, failed: hold.failed, echoed: hold.echoed }
  print({ ready: summary })
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin })
    lines.once('line', () => resolve())
    lines.once('close', () => resolve())
  })
  hold.release()
  return summary
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

setTimeout(() => {
  print({ error: `load generator exceeded ${HARD_LIMIT_MS} ms` })
  process.exit(2)
}, HARD_LIMIT_MS).unref()

try {
  const job = JSON.parse(process.argv[2] ?? '') as LoadJob
  const result = await run(job)
  const cpu = process.cpuUsage()
  print({ result, cpuSeconds: (cpu.user + cpu.system) / 1e6 })
  process.exit(0)
} catch (error) {
  print({ error: error instanceof Error ? error.message : String(error) })
  process.exit(1)
}
