import { openMany, type Target } from './raw-client.js'
import { destroyAll, sleep } from './echo-loop.js'
import { Opcode, encodeFrame } from './ws-wire.js'

/**
 * Holds `connections` idle WebSockets open through the proxy so the orchestrator can read the
 * proxy's memory. Each connection first echoes one 64-byte message, so buffers a proxy only
 * allocates on first data are counted too: a real idle connection has usually spoken once.
 */

export interface IdleParams {
  connections: number
  concurrency: number
  openTimeoutMs: number
}

export interface IdleHold {
  opened: number
  failed: number
  echoed: number
  release(): void
}

export async function holdIdle(target: Target, params: IdleParams): Promise<IdleHold> {
  const ping = encodeFrame(Opcode.binary, Buffer.alloc(64, 0x63), true)
  let echoed = 0
  const { clients, failed } = await openMany(target, params.connections, params.concurrency, {
    onFrame: (client, opcode) => {
      if (opcode === Opcode.close) client.destroy()
      else echoed++
    },
    onClose: () => {},
  }, params.openTimeoutMs)
  for (const client of clients) client.send(ping)
  await waitFor(() => echoed >= clients.length, 10_000)
  return { opened: clients.length, failed, echoed, release: () => destroyAll(clients) }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (let waited = 0; waited < timeoutMs && !condition(); waited += 20) await sleep(20)
}

