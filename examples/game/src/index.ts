import { DurableObject } from 'cloudflare:workers'
import html from './index.html'

/**
 * A small multiplayer game: one GameRoom Durable Object per room owns the state (players and
 * their positions). Clients only send inputs (the direction they hold); the room moves every
 * player and broadcasts the state on a fixed tick driven by alarms: each alarm schedules the
 * next one while players are present, and the last one to leave cancels it.
 *
 *   GET  …/ or …/room/NAME         the page (a canvas; arrow keys or WASD)
 *   GET  …/room/NAME/state         the room's state as JSON (players, tick, next alarm)
 *   WS   …/room/NAME?name=ME       a player
 *
 * Each player's state lives in its socket's attachment, so it survives hibernation and deploys.
 */
export interface Env {
  GAME_ROOMS: DurableObjectNamespace<GameRoom>
}

const TICK_MS = 100
const ARENA = { width: 640, height: 400 } as const
/** Pixels a player moves per tick along each axis it holds a direction on. */
const SPEED = 8
const RADIUS = 12
const MAX_PLAYERS = 32
const ROOM_PATH = /\/room\/([A-Za-z0-9_-]{1,40})(\/state)?\/?$/

interface Player {
  id: string
  name: string
  color: string
  x: number
  y: number
  /** The direction the player holds: -1, 0 or 1 on each axis. */
  dx: number
  dy: number
}

type PlayerView = Pick<Player, 'id' | 'name' | 'color' | 'x' | 'y'>

type ServerMessage =
  | { type: 'welcome'; id: string; arena: typeof ARENA; radius: number; tickMs: number }
  | { type: 'state'; tick: number; players: PlayerView[] }
  | { type: 'join'; player: PlayerView }
  | { type: 'leave'; id: string }

export class GameRoom extends DurableObject<Env> {
  /** The players, by socket; rebuilt from the sockets' attachments when the object wakes up. */
  #players = new Map<WebSocket, Player>()
  #tick = 0

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    for (const ws of ctx.getWebSockets()) {
      const player = ws.deserializeAttachment() as Player | null
      if (player) this.#players.set(ws, player)
    }
  }

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') !== 'websocket') {
      const state = { tick: this.#tick, players: [...this.#players.values()].map(view), alarm: await this.ctx.storage.getAlarm() }
      return Response.json(state)
    }
    if (this.#players.size >= MAX_PLAYERS) return new Response('this room is full', { status: 503 })
    const name = new URL(request.url).searchParams.get('name')?.trim().slice(0, 24) || 'player'
    const player: Player = {
      id: crypto.randomUUID().slice(0, 8),
      name,
      color: `hsl(${Math.floor(Math.random() * 360)} 70% 45%)`,
      x: RADIUS + Math.floor(Math.random() * (ARENA.width - 2 * RADIUS)),
      y: RADIUS + Math.floor(Math.random() * (ARENA.height - 2 * RADIUS)),
      dx: 0,
      dy: 0,
    }
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server)
    server.serializeAttachment(player)
    this.#players.set(server, player)
    send(server, { type: 'welcome', id: player.id, arena: ARENA, radius: RADIUS, tickMs: TICK_MS })
    this.#broadcast({ type: 'join', player: view(player) })
    // Start ticking with the first player.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + TICK_MS)
    return new Response(null, { status: 101, webSocket: client })
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const player = this.#players.get(ws)
    const input = parse(message)
    if (!player || input?.type !== 'input') return
    player.dx = direction(input.dx)
    player.dy = direction(input.dy)
    ws.serializeAttachment(player)
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    // Complete the closing handshake: workerd does not answer a hibernatable socket's Close
    // frame by itself (the call is ignored where the runtime already has).
    ws.close(1000, 'closing')
    await this.#remove(ws)
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.#remove(ws)
  }

  /** One tick: move everyone, broadcast the state, schedule the next tick while anyone plays. */
  async alarm(): Promise<void> {
    if (this.#players.size === 0) return
    this.#tick++
    for (const [ws, player] of this.#players) {
      if (player.dx === 0 && player.dy === 0) continue
      player.x = clamp(player.x + player.dx * SPEED, RADIUS, ARENA.width - RADIUS)
      player.y = clamp(player.y + player.dy * SPEED, RADIUS, ARENA.height - RADIUS)
      ws.serializeAttachment(player)
    }
    this.#broadcast({ type: 'state', tick: this.#tick, players: [...this.#players.values()].map(view) })
    await this.ctx.storage.setAlarm(Date.now() + TICK_MS)
  }

  async #remove(ws: WebSocket): Promise<void> {
    const player = this.#players.get(ws)
    if (!player) return
    this.#players.delete(ws)
    this.#broadcast({ type: 'leave', id: player.id })
    // Nobody left: stop ticking (an alarm already running finds no players and stops too).
    if (this.#players.size === 0) await this.ctx.storage.deleteAlarm()
  }

  #broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message)
    for (const ws of this.#players.keys()) {
      try {
        ws.send(text)
      } catch {
        // The socket is closing; webSocketClose removes it.
      }
    }
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url)
    const match = ROOM_PATH.exec(url.pathname)
    const room = match?.[1] ?? url.searchParams.get('room') ?? 'arena'
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(room)) return new Response('room names are 1 to 40 letters, digits, "-" or "_"', { status: 400 })
    const stub = env.GAME_ROOMS.get(env.GAME_ROOMS.idFromName(room))
    if (request.headers.get('Upgrade') === 'websocket') return stub.fetch(request)
    if (match?.[2]) return stub.fetch(request.url)
    if (/\.\w+$/.test(url.pathname) && !url.pathname.endsWith('/index.html')) return new Response('not found', { status: 404 })
    return new Response(html, { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' } })
  },
} satisfies ExportedHandler<Env>

function view({ id, name, color, x, y }: Player): PlayerView {
  return { id, name, color, x, y }
}

function direction(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.sign(value) : 0
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

function parse(message: string | ArrayBuffer): { type?: unknown; dx?: unknown; dy?: unknown } | undefined {
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
