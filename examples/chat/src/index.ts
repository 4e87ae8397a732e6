import { DurableObject } from 'cloudflare:workers'
import html from './index.html'

/**
 * A chat app: the Worker serves the page and routes each room's WebSockets to one ChatRoom
 * Durable Object (`idFromName(room)`), which holds the sockets with the Hibernation API and
 * keeps the last messages in its storage.
 *
 *   GET  …/                    the page (room "lobby")
 *   GET  …/room/NAME           the page, joined to room NAME (also `?room=NAME`)
 *   WS   …/room/NAME?name=ME   the room's socket (the page connects to its own URL)
 *
 * Paths are matched from the end, so the app works under any path prefix (`/chat/room/lobby`).
 */
export interface Env {
  CHAT_ROOMS: DurableObjectNamespace<ChatRoom>
}

/** How many messages a room keeps and sends to whoever joins. */
const HISTORY_SIZE = 50
const MAX_TEXT_LENGTH = 2000
const MAX_NAME_LENGTH = 32
const ROOM_NAME = /^[A-Za-z0-9_-]{1,40}$/

/** What each socket carries through hibernation (serializeAttachment). */
interface Member {
  name: string
}

/** Messages the room sends (JSON). */
type ServerMessage =
  | { type: 'welcome'; name: string; members: string[]; history: ChatMessage[] }
  | ChatMessage
  | { type: 'join' | 'leave'; name: string; at: number }
  | { type: 'error'; message: string }

interface ChatMessage {
  type: 'message'
  name: string
  text: string
  at: number
}

export class ChatRoom extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    // Keep-alive pings from the page are answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'))
  }

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 })
    const name = cleanName(new URL(request.url).searchParams.get('name'))
    if (!name) return new Response(`a name is required: ?name= (1 to ${MAX_NAME_LENGTH} characters)`, { status: 400 })

    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server)
    server.serializeAttachment({ name } satisfies Member)
    const members = this.ctx.getWebSockets().map((ws) => memberOf(ws).name)
    send(server, { type: 'welcome', name, members, history: await this.#history() })
    this.#broadcast({ type: 'join', name, at: Date.now() }, server)
    return new Response(null, { status: 101, webSocket: client })
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const input = parse(message)
    if (input?.type !== 'message' || typeof input.text !== 'string') {
      send(ws, { type: 'error', message: 'expected {"type":"message","text":"…"}' })
      return
    }
    const text = input.text.trim().slice(0, MAX_TEXT_LENGTH)
    if (!text) return
    const chat: ChatMessage = { type: 'message', name: memberOf(ws).name, text, at: Date.now() }
    await this.#save(chat)
    this.#broadcast(chat)
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    this.#broadcast({ type: 'leave', name: memberOf(ws).name, at: Date.now() }, ws)
    // Complete the closing handshake: workerd does not answer a hibernatable socket's Close
    // frame by itself (the call is ignored where the runtime already has).
    ws.close(1000, 'closing')
  }

  async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.error('socket error', memberOf(ws).name, error)
  }

  /** Appends a message; a sequence number keeps keys in order and the oldest one is dropped. */
  async #save(chat: ChatMessage): Promise<void> {
    const seq = ((await this.ctx.storage.get<number>('seq')) ?? 0) + 1
    await this.ctx.storage.put({ seq, [messageKey(seq)]: chat })
    if (seq > HISTORY_SIZE) await this.ctx.storage.delete(messageKey(seq - HISTORY_SIZE))
  }

  /** The last HISTORY_SIZE messages, oldest first. */
  async #history(): Promise<ChatMessage[]> {
    const newest = await this.ctx.storage.list<ChatMessage>({ prefix: 'msg:', reverse: true, limit: HISTORY_SIZE })
    return [...newest.values()].reverse()
  }

  #broadcast(message: ServerMessage, except?: WebSocket): void {
    const text = JSON.stringify(message)
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except) continue
      try {
        ws.send(text)
      } catch {
        // The socket is closing; its webSocketClose will follow.
      }
    }
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url)
    const room = roomOf(url)
    if (request.headers.get('Upgrade') === 'websocket') {
      if (room === undefined) return new Response('room names are 1 to 40 letters, digits, "-" or "_"', { status: 400 })
      return env.CHAT_ROOMS.get(env.CHAT_ROOMS.idFromName(room)).fetch(request)
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405, headers: { Allow: 'GET, HEAD' } })
    // Files such as /favicon.ico are not pages.
    if (/\.\w+$/.test(url.pathname) && !url.pathname.endsWith('/index.html')) return new Response('not found', { status: 404 })
    return new Response(html, { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' } })
  },
} satisfies ExportedHandler<Env>

/** The room of a URL: `…/room/NAME`, else `?room=NAME`, else "lobby"; undefined when invalid. */
function roomOf(url: URL): string | undefined {
  const room = /\/room\/([^/]+)\/?$/.exec(url.pathname)?.[1] ?? url.searchParams.get('room') ?? 'lobby'
  return ROOM_NAME.test(room) ? room : undefined
}

function cleanName(name: string | null): string | undefined {
  const trimmed = name?.trim().slice(0, MAX_NAME_LENGTH)
  return trimmed || undefined
}

function memberOf(ws: WebSocket): Member {
  return ws.deserializeAttachment() as Member
}

function messageKey(seq: number): string {
  return `msg:${String(seq).padStart(12, '0')}`
}

function parse(message: string | ArrayBuffer): { type?: unknown; text?: unknown } | undefined {
  if (typeof message !== 'string') return undefined
  try {
    const value: unknown = JSON.parse(message)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}

function send(ws: WebSocket, message: ServerMessage): void {
  ws.send(JSON.stringify(message))
}
