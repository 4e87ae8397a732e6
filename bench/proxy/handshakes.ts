import { performance } from 'node:perf_hooks'
import { RawClient, type Target } from './raw-client.js'
import { sleep } from './echo-loop.js'
import { Opcode, closeFrame } from './ws-wire.js'

/**
 * New connections per second: each worker loops TCP connect → upgrade → client close frame →
 * server close frame → destroy, so every count is a full WebSocket lifetime through the proxy
 * (two TCP connections and two closing handshakes for a proxy).
 */

export interface HandshakeParams {
  workers: number
  warmupMs: number
  durationMs: number
  attemptTimeoutMs: number
}

export interface HandshakeResult {
  workers: number
  completed: number
  errors: number
  firstError: string | undefined
  elapsedMs: number
  handshakesPerSecond: number
}

const MAX_ERRORS = 2000
const CLOSE = closeFrame(true)

export async function runHandshakes(target: Target, params: HandshakeParams): Promise<HandshakeResult> {
  let running = true
  let measuring = false
  let completed = 0
  let errors = 0
  let firstError: string | undefined

  const attempt = (): Promise<void> => new Promise((resolve) => {
    let done = false
    const finish = (error: Error | undefined): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      client.destroy()
      if (error !== undefined) {
        errors++
        firstError ??= error.message
      } else if (measuring) {
        completed++
      }
      resolve()
    }
    const timer = setTimeout(() => finish(new Error('attempt timed out')), params.attemptTimeoutMs)
    const client = new RawClient(target, {
      onOpen: (opened) => opened.send(CLOSE),
      onFrame: (_client, opcode) => {
        if (opcode === Opcode.close) finish(undefined)
      },
      onClose: (_client, error) => finish(error ?? new Error('closed before the close frame')),
    })
  })

  const worker = async (): Promise<void> => {
    while (running && errors < MAX_ERRORS) await attempt()
  }
  const workers = Array.from({ length: params.workers }, worker)
  await sleep(params.warmupMs)
  measuring = true
  const started = performance.now()
  await sleep(params.durationMs)
  measuring = false
  const elapsedMs = performance.now() - started
  running = false
  await Promise.all(workers)
  return {
    workers: params.workers,
    completed,
    errors,
    firstError,
    elapsedMs,
    handshakesPerSecond: completed / (elapsedMs / 1000),
  }
}
