import { DurableObject } from 'cloudflare:workers'

/**
 * A broadcast room: every message a socket sends goes to every OTHER socket connected to the
 * same path (`ws://HOST/any/path` → room "/any/path"). Text stays text, binary stays binary.
 * One Durable Object per room, sockets held with the Hibernation API.
 */
export interface Env {
  ROOMS: DurableObjectNamespace<BroadcastRoom>
}

export class BroadcastRoom extends DurableObject<Env> {
  async fetch(): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server)
    return new Response(null, { status: 101, webSocket: client })
  }

  async webSocketMessage(sender: WebSocket, message: string | ArrayBuffer): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === sender) continue
      try {
        ws.send(message)
      } catch {
        // The socket is closing.
      }
    }
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    // Complete the closing handshake: workerd does not answer a hibernatable socket's Close
    // frame by itself (the call is ignored where the runtime already has).
    ws.close(1000, 'closing')
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket') {
      return new Response('Broadcast room: connect a WebSocket to any path; each message goes to every other socket on that path.\n', {
        status: 426,
        headers: { Upgrade: 'websocket' },
      })
    }
    const room = new URL(request.url).pathname
    return env.ROOMS.get(env.ROOMS.idFromName(room)).fetch(request)
  },
} satisfies ExportedHandler<Env>
