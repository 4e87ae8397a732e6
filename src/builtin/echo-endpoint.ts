import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

/**
 * The echo WebSocket the edge serves itself (`builtin: echo`, and /echo on the welcome
 * site), so a newcomer can connect before configuring any origin.
 */
export class EchoEndpoint {
  readonly #server: WebSocketServer
  readonly #sockets = new Set<WebSocket>()

  constructor(maxPayload: number) {
    this.#server = new WebSocketServer({ noServer: true, maxPayload: maxPayload || undefined, clientTracking: false })
  }

  /**
   * Completes the handshake; `onOpen` receives a function that closes this one socket and
   * one that reads its live counters.
   */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, onOpen: (close: (code: number, reason: string) => void, traffic: () => EchoTraffic) => void, onClose: (code: number) => void): void {
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      this.#sockets.add(ws)
      const traffic: EchoTraffic = { fromClient: emptyCounters(), toClient: emptyCounters() }
      onOpen((code, reason) => ws.close(code, reason), () => traffic)
      ws.on('message', (data: Buffer, isBinary) => {
        count(traffic.fromClient, data.length, true)
        count(traffic.toClient, data.length, false)
        ws.send(data, { binary: isBinary })
      })
      ws.on('error', () => {})
      ws.on('close', (code) => {
        this.#sockets.delete(ws)
        onClose(code)
      })
    })
  }

  get size(): number {
    return this.#sockets.size
  }

  /** Closes every echo socket (graceful stop). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.#sockets) ws.close(code, reason)
  }
}

interface Counters {
  messages: number
  frames: number
  payloadBytes: number
  wireBytes: number
}

export interface EchoTraffic {
  fromClient: Counters
  toClient: Counters
}

function emptyCounters(): Counters {
  return { messages: 0, frames: 0, payloadBytes: 0, wireBytes: 0 }
}

/** One unfragmented message: header 2, 4 or 10 bytes (RFC 6455 §5.2) plus the client's 4-byte mask. */
function count(counters: Counters, length: number, masked: boolean): void {
  counters.messages++
  counters.frames++
  counters.payloadBytes += length
  counters.wireBytes += length + (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0)
}
