import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { freePort, spawnPinned, stopChild, waitForLine, waitForPort, type Child } from './processes.js'
import type { Target } from './raw-client.js'
import type { LoadSide } from './load-side.js'

/**
 * The systems under test. Each peer starts in its own process pinned to PROXY_CORE and
 * forwards 127.0.0.1:port to the origin; "direct" is the origin itself (no proxy).
 */

export const LOAD_CORE = 0
export const PROXY_CORE = 1

export interface RunningPeer {
  target: Target
  /** Process group to read memory and CPU from; undefined for direct. */
  child: Child | undefined
  stop(): Promise<void>
  /** The end of the peer's own error output, kept in the JSON report for diagnosis. */
  logTail?(): string
}

export interface Peer {
  name: string
  /** Why the peer cannot run here, or undefined when it can. */
  unavailable(): string | undefined
  start(origin: Target, workDir: string): Promise<RunningPeer>
}

const here = fileURLToPath(new URL('.', import.meta.url))
const START_TIMEOUT_MS = 10_000
/** Leaves room for the proxy's own files under a 20,000 fd limit with 2 × 8,000 sockets. */
const PROXY_MAX_CONNECTIONS = 9000
const LOG_TAIL_LINES = 10

export function startOrigin(load: LoadSide): Promise<RunningPeer> {
  const [command, args] = load.originCommand()
  const child = spawnPinned('origin', command, args, { core: LOAD_CORE })
  return waitForLine(child, (line) => typeof line.port === 'number' ? line.port : undefined, START_TIMEOUT_MS)
    .then((port) => ({ target: { host: '127.0.0.1', port }, child, stop: () => stopChild(child) }))
}

function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const path = join(dir, command)
    if (existsSync(path)) return path
  }
  return undefined
}

async function startPinnedProxy(name: string, command: string, args: string[], port: number, errorLog?: string): Promise<RunningPeer> {
  const child = spawnPinned(name, command, args, { core: PROXY_CORE })
  try {
    await waitForPort(port, START_TIMEOUT_MS, child)
  } catch (error) {
    await stopChild(child)
    throw error
  }
  const logTail = (): string => {
    const text = errorLog !== undefined && existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : child.stderrTail()
    return text.trim().split('\n').slice(-LOG_TAIL_LINES).join('\n')
  }
  return { target: { host: '127.0.0.1', port }, child, stop: () => stopChild(child), logTail }
}

export const direct: Peer = {
  name: 'direct',
  unavailable: () => undefined,
  start: async (origin) => ({ target: origin, child: undefined, stop: async () => {} }),
}

export const nginx: Peer = {
  name: 'nginx',
  unavailable: () => which('nginx') === undefined ? 'nginx not installed (apt-get install nginx-light)' : undefined,
  async start(origin, workDir) {
    const dir = join(workDir, 'nginx')
    for (const sub of ['', 'logs', 'tmp']) mkdirSync(join(dir, sub), { recursive: true })
    const port = await freePort()
    const temp = (kind: string): string => `${kind}_temp_path ${join(dir, 'tmp', kind)};`
    writeFileSync(join(dir, 'nginx.conf'), [
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      `worker_rlimit_nofile ${2 * PROXY_MAX_CONNECTIONS + 100};`,
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'logs', 'error.log')} warn;`,
      // worker_connections counts both the client and the upstream connection.
      `events { worker_connections ${2 * PROXY_MAX_CONNECTIONS}; }`,
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${temp(kind)}`),
      '  server {',
      `    listen 127.0.0.1:${port} backlog=4096;`,
      '    location / {',
      `      proxy_pass http://${origin.host}:${origin.port};`,
      '      proxy_http_version 1.1;',
      '      proxy_set_header Upgrade $http_upgrade;',
      '      proxy_set_header Connection "upgrade";',
      '      proxy_set_header Host $host;',
      '      proxy_read_timeout 3600s;',
      '      proxy_send_timeout 3600s;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'))
    return startPinnedProxy('nginx', which('nginx')!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log'), '-g', 'daemon off;'], port, join(dir, 'logs', 'error.log'))
  },
}

export const haproxy: Peer = {
  name: 'haproxy',
  unavailable: () => which('haproxy') === undefined ? 'haproxy not installed (apt-get install haproxy)' : undefined,
  async start(origin, workDir) {
    const dir = join(workDir, 'haproxy')
    mkdirSync(dir, { recursive: true })
    const port = await freePort()
    writeFileSync(join(dir, 'haproxy.cfg'), [
      'global',
      '  nbthread 1',
      `  maxconn ${PROXY_MAX_CONNECTIONS}`,
      'defaults',
      '  mode http',
      `  maxconn ${PROXY_MAX_CONNECTIONS}`,
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout http-request 10s',
      '  timeout tunnel 1h',
      'frontend edge',
      `  bind 127.0.0.1:${port} backlog 4096`,
      '  default_backend origin',
      'backend origin',
      `  server o1 ${origin.host}:${origin.port} maxconn ${PROXY_MAX_CONNECTIONS}`,
      '',
    ].join('\n'))
    return startPinnedProxy('haproxy', which('haproxy')!, ['-f', join(dir, 'haproxy.cfg'), '-db'], port)
  },
}

const srcDir = join(here, '..', '..', 'src')
const EDGE_MODULE = join(srcDir, 'edge.js')
export const NO_SCAN_SWITCH = 'WEDGE_BENCH_NO_SCAN'

/**
 * Whether the built edge has a no-scan switch: `createEdge(config, { noScan })`, which
 * wedge-server.js sets from WEDGE_BENCH_NO_SCAN, or the env var read anywhere in dist/src.
 */
export function edgeHonoursNoScan(): boolean {
  if (!existsSync(EDGE_MODULE)) return false
  if (readFileSync(EDGE_MODULE, 'utf8').includes('noScan')) return true
  const search = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return search(path)
    return entry.name.endsWith('.js') && readFileSync(path, 'utf8').includes(NO_SCAN_SWITCH)
  })
  return search(srcDir)
}

export const NO_METER_SWITCH = 'WEDGE_BENCH_NO_METER'

function wedgePeer(name: string, noScan: boolean, noMeter = false): Peer {
  return {
    name,
    unavailable() {
      if (!existsSync(EDGE_MODULE)) return 'src/edge.ts not built yet (dist/src/edge.js missing)'
      if (noScan && !edgeHonoursNoScan()) return 'the built edge has no no-scan switch (neither createEdge({ noScan }) nor WEDGE_BENCH_NO_SCAN): this variant would equal wedge'
      return undefined
    },
    async start(origin, workDir) {
      const dataDir = join(workDir, name)
      mkdirSync(dataDir, { recursive: true })
      const child = spawnPinned(name, process.execPath, [join(here, 'wedge-server.js'), `http://${origin.host}:${origin.port}`, dataDir], {
        core: PROXY_CORE,
        env: { [NO_SCAN_SWITCH]: noScan ? '1' : '', [NO_METER_SWITCH]: noMeter ? '1' : '' },
      })
      try {
        const port = await waitForLine(child, (line) => typeof line.port === 'number' ? line.port : undefined, START_TIMEOUT_MS)
        return { target: { host: '127.0.0.1', port }, child, stop: () => stopChild(child), logTail: () => child.stderrTail().split('\n').slice(-LOG_TAIL_LINES).join('\n') }
      } catch (error) {
        await stopChild(child)
        throw error
      }
    },
  }
}

export const wedge = wedgePeer('wedge', false)
export const wedgeNoScan = wedgePeer('wedge-noscan', true)
/** Wedge with metering off: `wedge / wedge-nometer` is what metering costs (target ≥ 0.95). */
export const wedgeNoMeter = wedgePeer('wedge-nometer', false, true)

export const ALL_PEERS: readonly Peer[] = [direct, wedge, wedgeNoScan, wedgeNoMeter, nginx, haproxy]

export function peerVersions(): Record<string, string> {
  const version = (command: string, args: string[]): string => {
    const ran = spawnSync(command, args, { encoding: 'utf8' })
    return `${ran.stdout ?? ''}${ran.stderr ?? ''}`.split('\n')[0]!.trim()
  }
  return {
    node: process.version,
    ...(which('nginx') ? { nginx: version(which('nginx')!, ['-v']) } : {}),
    ...(which('haproxy') ? { haproxy: version(which('haproxy')!, ['-v']) } : {}),
  }
}
