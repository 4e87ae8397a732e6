import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { Agent } from 'undici'
import { siteSchema, type SiteConfig } from '../../src/config/schema.js'
import { proxyHttpRequest, type HttpProxyTarget } from '../../src/proxy/http-proxy.js'
import { closeOriginAgent, createOriginAgent } from '../../src/proxy/origin-agent.js'

/** A real origin server on 127.0.0.1, port 0, counting the TCP connections it accepts. */
export interface TestOrigin {
  url: URL
  server: http.Server
  connections: number
  close(): Promise<void>
}

export async function startOrigin(handler: http.RequestListener, tls?: https.ServerOptions): Promise<TestOrigin> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler)
  const origin: TestOrigin = {
    url: new URL('http://127.0.0.1'),
    server,
    connections: 0,
    close: () => closeServer(server),
  }
  server.on(tls ? 'secureConnection' : 'connection', () => { origin.connections++ })
  await listen(server)
  origin.url = new URL(`${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`)
  return origin
}

/** An address nothing listens on: a port that was just bound and released. */
export async function refusedUrl(): Promise<URL> {
  const server = http.createServer()
  await listen(server)
  const { port } = server.address() as AddressInfo
  await closeServer(server)
  return new URL(`http://127.0.0.1:${port}`)
}

export interface OriginResult { origin: string; ok: boolean; reason: string | undefined }

/** The edge under test: an http server whose only job is `proxyHttpRequest`. */
export interface TestEdge {
  url: URL
  site: SiteConfig
  agent: Agent
  server: http.Server
  results: OriginResult[]
  logged: object[]
  close(): Promise<void>
}

export interface EdgeOptions {
  /** Route 'checkContinue' through the proxy with `continuePending`. */
  checkContinue?: boolean
}

/**
 * Starts an edge for one site (`site` is config input; `origins` default to the given URLs).
 * Origins are tried in order, each once, as a minimal stand-in for the balancer.
 */
export async function startEdge(origins: URL[], site: Record<string, unknown> = {}, options: EdgeOptions = {}): Promise<TestEdge> {
  const config = siteSchema.parse({ name: 'api', origins: origins.map((url) => url.origin), ...site })
  const agent = createOriginAgent(config)
  const results: OriginResult[] = []
  const logged: object[] = []
  const target = (req: http.IncomingMessage): HttpProxyTarget<URL> => ({
    site: config,
    agent,
    pickOrigin: (tried) => {
      const url = origins.find((candidate) => !tried.has(candidate))
      return url === undefined ? undefined : { origin: url, url }
    },
    onOriginResult: (origin, ok, reason) => { results.push({ origin: origin.origin, ok, reason }) },
    clientIp: req.socket.remoteAddress ?? '',
    proto: 'http',
    log: { warn: (details) => { logged.push(details) } },
  })
  const server = http.createServer((req, res) => { void proxyHttpRequest(req, res, target(req)) })
  if (options.checkContinue) {
    server.on('checkContinue', (req, res) => { void proxyHttpRequest(req, res, { ...target(req), continuePending: true }) })
  }
  await listen(server)
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    site: config,
    agent,
    server,
    results,
    logged,
    close: async () => {
      await closeServer(server)
      await closeOriginAgent(agent, 1000)
    },
  }
}

export interface ClientResponse {
  status: number
  headers: http.IncomingHttpHeaders
  trailers: NodeJS.Dict<string>
  body: Buffer
}

export interface ClientRequest {
  method?: string
  path?: string
  headers?: http.OutgoingHttpHeaders
  body?: Buffer | string | Readable
  agent?: http.Agent
}

/** One request with a real node http client; resolves with the whole response. */
export function send(base: URL, request: ClientRequest = {}): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(new URL(request.path ?? '/', base), {
      method: request.method ?? 'GET',
      headers: request.headers,
      agent: request.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }))
    })
    outgoing.on('error', reject)
    const { body } = request
    if (body instanceof Readable) body.pipe(outgoing)
    else outgoing.end(body)
  })
}

/** Reads a whole request body (origin side). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Rejects after `ms` so that a test waiting on an event fails instead of hanging. */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export function listen(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
