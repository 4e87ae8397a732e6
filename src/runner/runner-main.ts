/**
 * Runner process entry, forked by the gateway:
 * `fork(path, [], { execArgv: ['--no-node-snapshot'], serialization: 'advanced' })`.
 * It hosts app isolates and speaks runner-protocol.ts: as runner-wire.ts frames on the
 * pipe whose fd is in WEDGE_RUNNER_PIPE (how the gateway starts it), else over the IPC
 * channel itself (how the runner tests drive it).
 */
import { writeSync } from 'node:fs'
import { Socket } from 'node:net'
import { Runner } from './runner.js'
import { Watchdog } from './watchdog.js'
import { WireDecoder, WireEncoder } from '../runtime/runner-wire.js'
import type { GatewayToRunner, RunnerToGateway } from '../runtime/runner-protocol.js'

/** Stall allowance beyond the longest legitimate synchronous call into an isolate. */
const STALL_MARGIN_MS = 3_500

function die(message: string): never {
  // process.exit() can hang after a catastrophic V8 error (research note); SIGKILL cannot.
  writeSync(2, `wedge runner: ${message}\n`)
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable')
}

if (typeof process.send !== 'function') {
  writeSync(2, 'wedge runner: must be started by the gateway with child_process.fork (IPC channel missing)\n')
  process.exit(2)
}

const pipeFd = Number(process.env.WEDGE_RUNNER_PIPE)
const pipe = Number.isInteger(pipeFd) && pipeFd > 2 ? new Socket({ fd: pipeFd, readable: true, writable: true }) : undefined
const encoder = new WireEncoder()

function sendBatch(batch: RunnerToGateway[]): void {
  try {
    if (pipe) pipe.write(encoder.frame(batch))
    else process.send!(batch)
  } catch {
    process.exit(0)
  }
}

const watchdog = new Watchdog(STALL_MARGIN_MS + 500)
const runner = new Runner({
  send: sendBatch,
  onCatastrophicError: (message) => die(`isolate catastrophic error: ${message}`),
  onTurn: () => watchdog.beat(),
  onTimeoutChange: (longest) => {
    watchdog.stallMs = longest * 2 + STALL_MARGIN_MS
  },
})

process.on('message', (batch) => runner.receive(batch))
if (pipe) {
  const decoder = new WireDecoder((batch) => runner.receive(batch as GatewayToRunner[]))
  pipe.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk)
    } catch (error) {
      die(`malformed frame from the gateway: ${String(error)}`)
    }
  })
  // The gateway is gone.
  pipe.on('close', () => process.exit(0))
  pipe.on('error', () => process.exit(0))
}
// The gateway is gone: nothing can reach this runner any more.
process.on('disconnect', () => process.exit(0))
