/**
 * Runner process entry, forked by the gateway:
 * `fork(path, [], { execArgv: ['--no-node-snapshot'], serialization: 'advanced' })`.
 * It hosts app isolates and speaks runner-protocol.ts over the IPC channel.
 */
import { writeSync } from 'node:fs'
import { Runner } from './runner.js'
import { Watchdog } from './watchdog.js'

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

const watchdog = new Watchdog(STALL_MARGIN_MS + 500)
const runner = new Runner({
  send: (batch) => {
    try {
      process.send!(batch)
    } catch {
      process.exit(0)
    }
  },
  onCatastrophicError: (message) => die(`isolate catastrophic error: ${message}`),
  onTurn: () => watchdog.beat(),
  onTimeoutChange: (longest) => {
    watchdog.stallMs = longest * 2 + STALL_MARGIN_MS
  },
})

process.on('message', (batch) => runner.receive(batch))
// The gateway is gone: nothing can reach this runner any more.
process.on('disconnect', () => process.exit(0))
