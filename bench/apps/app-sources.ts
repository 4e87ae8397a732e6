import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'

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
 * The fallback fan-out room when examples/broadcast is missing, with the same behaviour:
 * every message a socket sends goes to every OTHER socket of the room (one room per path).
 */
export const room: BenchApp = {
  file: 'room.js',
  objects: [{ binding: 'ROOMS', className: 'Room' }],
  code: `
import { DurableObject } from 'cloudflare:workers'

export class Room extends DurableObject {
  fetch() {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    return new Response(null, { status: 101, webSocket: pair[0] })
  }

  webSocketMessage(sender, message) {
    for (const ws of this.ctx.getWebSockets()) if (ws !== sender) ws.send(message)
  }
}

export default {
  fetch(request, env) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('room\\n')
    return env.ROOMS.get(env.ROOMS.idFromName(new URL(request.url).pathname)).fetch(request)
  },
}
`,
}

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url))

/**
 * The fan-out app: examples/broadcast (bundled to one ES module, the way wrangler would,
 * so workerd runs the same code), else the equivalent `room` above.
 */
export function fanoutApp(): { app: BenchApp, source: string } {
  const entry = join(examplesDir, 'broadcast', 'src', 'index.ts')
  if (!existsSync(entry)) return { app: room, source: 'bench/apps room (examples/broadcast not found)' }
  const built = buildSync({ entryPoints: [entry], bundle: true, format: 'esm', external: ['cloudflare:workers'], write: false, logLevel: 'silent' })
  return {
    app: { file: 'broadcast.js', objects: [{ binding: 'ROOMS', className: 'BroadcastRoom' }], code: built.outputFiles[0]!.text },
    source: 'examples/broadcast',
  }
}
