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

  /** Completes the handshake; `onOpen` receives a function that closes this one socket. */
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, onOpen: (close: (code: number, reason: string) => void) => void, onClose: (code: number) => void): void {
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      this.#sockets.add(ws)
      onOpen((code, reason) => ws.close(code, reason))
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
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
