/**
 * The benchmark apps, written once against the Workers / Durable Objects API and run
 * unchanged by Wedge and by workerd. Each is one ES module.
 */

export interface BenchApp {
  /** File name of the module (Wedge bundles it; workerd embeds it). */
  file: string
  code: string
  /** Durable Object bindings: env[binding] is the namespace of className. */
  objects: { binding: string; className: string }[]
}

/** A plain Worker: the standard API, `server.accept()` and a message listener. */
export const echoWorker: BenchApp = {
  file: 'echo-worker.js',
  objects: [],
  code: `
export default {
  fetch(request) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('echo worker\\n')
    const pair = new WebSocketPair()
    const server = pair[1]
    server.accept()
    server.addEventListener('message', (event) => server.send(event.data))
    return new Response(null, { status: 101, webSocket: pair[0] })
  },
}
`,
}

/**
 * A Durable Object echo on the Hibernation API. `objects` = 0 gives every connection its
 * own object (a per-user session); N spreads connections round-robin over N objects.
 */
export function echoObject(objects: number): BenchApp {
  return {
    file: `echo-object-${objects}.js`,
    objects: [{ binding: 'ECHO', className: 'Echo' }],
    code: `
import { DurableObject } from 'cloudflare:workers'

export class Echo extends DurableObject {
  fetch(request) {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  webSocketMessage(ws, message) {
    ws.send(message)
  }
}

const OBJECTS = ${objects}
let connections = 0

export default {
  fetch(request, env) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('echo object\\n')
    const n = connections++
    const name = 'echo-' + (OBJECTS === 0 ? n : n % OBJECTS)
    return env.ECHO.get(env.ECHO.idFromName(name)).fetch(request)
  },
}
`,
  }
}

/**
 * One room (one Durable Object). A socket on /pub publishes: each of its messages goes to
 * every subscriber. Any other socket subscribes; a subscriber's own message is echoed back
 * to it only (so idle clients can check their socket once without flooding the room).
 */
export const room: BenchApp = {
  file: 'room.js',
  objects: [{ binding: 'ROOMS', className: 'Room' }],
  code: `
import { DurableObject } from 'cloudflare:workers'

export class Room extends DurableObject {
  fetch(request) {
    const publisher = new URL(request.url).pathname === '/pub'
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1], [publisher ? 'pub' : 'sub'])
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  webSocketMessage(ws, message) {
    if (this.ctx.getTags(ws)[0] !== 'pub') {
      ws.send(message)
      return
    }
    for (const peer of this.ctx.getWebSockets('sub')) peer.send(message)
  }
}

export default {
  fetch(request, env) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('room\\n')
    return env.ROOMS.get(env.ROOMS.idFromName('bench')).fetch(request)
  },
}
`,
}
