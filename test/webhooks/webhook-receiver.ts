import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'

export interface ReceivedPost {
  headers: IncomingHttpHeaders
  body: string
  /** performance.now() when the body was complete. */
  at: number
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 port 0. Each POST is answered with the next status
 * of `statuses` (200 once they run out); while `hold` is set, answers wait until `release()`.
 */
export class WebhookReceiver {
  readonly posts: ReceivedPost[] = []
  statuses: number[]
  hold = false
  readonly #server: Server
  readonly #held: (() => void)[] = []

  private constructor(statuses: number[]) {
    this.statuses = statuses
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        this.posts.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), at: performance.now() })
        const answer = (): void => this.#answer(res)
        if (this.hold) this.#held.push(answer)
        else answer()
      })
    })
  }

  static async start(statuses: number[] = []): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(statuses)
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve))
    return receiver
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/wedge`
  }

  /** Answers every held request. */
  release(): void {
    this.hold = false
    for (const answer of this.#held.splice(0)) answer()
  }

  async close(): Promise<void> {
    this.release()
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #answer(res: ServerResponse): void {
    const status = this.statuses.shift() ?? 200
    res.writeHead(status, { 'content-type': 'text/plain' })
    res.end(status < 300 ? 'ok' : 'failed')
  }
}

/** A TCP server that accepts connections and never answers: a receiver that hangs. */
export async function startBlackhole(): Promise<{ url: string; connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    hole.connections++
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const hole = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    connections: 0,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return hole
}
