import { performance } from 'node:perf_hooks'
import { openMany, type RawClient, type Target } from './raw-client.js'
import { Opcode, encodeFrame } from './ws-wire.js'

/**
 * Closed-loop echo: every connection keeps `window` messages in flight and sends the next as
 * each echo completes. window 1 with 64-byte messages is the round-trip workload; a larger
 * window with 64 KiB messages is the throughput workload.
 */

export interface EchoLoopParams {
  connections: number
  messageBytes: number
  window: number
  warmupMs: number
  durationMs: number
}

export interface EchoLoopResult {
  connections: number
  failedConnections: number
  messages: number
  payloadBytes: number
  elapsedMs: number
  messagesPerSecond: number
  megabytesPerSecond: number
  droppedConnections: number
}

export async function runEchoLoop(target: Target, params: EchoLoopParams): Promise<EchoLoopResult> {
  const frame = encodeFrame(Opcode.binary, Buffer.alloc(params.messageBytes, 0x61), true)
  let running = false
  let measuring = false
  let messages = 0
  let payloadBytes = 0
  let dropped = 0
  const { clients, failed } = await openMany(target, params.connections, 50, {
    onFrame: (client, opcode, length, fin) => {
      if (opcode === Opcode.close) return client.destroy()
      if (measuring) payloadBytes += length
      if (!fin) return
      if (measuring) messages++
      if (running) client.send(frame)
    },
    onClose: (client) => {
      if (running && client.upgraded) dropped++
    },
  }, 20_000)
  if (clients.length === 0) throw new Error(`no connection opened (${failed} failed)`)

  running = true
  for (const client of clients) for (let i = 0; i < params.window; i++) client.send(frame)
  await sleep(params.warmupMs)
  measuring = true
  const started = performance.now()
  await sleep(params.durationMs)
  measuring = false
  running = false
  const elapsedMs = performance.now() - started
  destroyAll(clients)
  return {
    connections: clients.length,
    failedConnections: failed,
    messages,
    payloadBytes,
    elapsedMs,
    messagesPerSecond: messages / (elapsedMs / 1000),
    megabytesPerSecond: payloadBytes / 1e6 / (elapsedMs / 1000),
    droppedConnections: dropped,
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function destroyAll(clients: RawClient[]): void {
  for (const client of clients) client.destroy()
}
