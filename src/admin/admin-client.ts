import { request } from 'undici'
import type { AppBuild } from '../apps/bundle.js'
import { formatListen, parseListen } from '../config/units.js'
import type { AppSummary, VersionInfo } from './apps-controller.js'
import { encodeUpload } from './upload-format.js'

/** A failed admin call: `status`/`code` are set when the admin API answered with an error. */
export class AdminRequestError extends Error {
  constructor(message: string, readonly status?: number, readonly code?: string) {
    super(message)
    this.name = 'AdminRequestError'
  }
}

/** A deploy waits for the new version to load in a runner; anything longer is a stuck edge. */
const ANSWER_TIMEOUT_MS = 120_000

/** The admin API as `wedge deploy` / `wedge rollback` use it. */
export class AdminClient {
  #base: URL
  #token: string | undefined

  /** `admin`: "http://127.0.0.1:9090", "https://admin.example.com", or a listen address ("127.0.0.1:9090", ":9090"). */
  constructor(admin: string, token?: string) {
    this.#base = adminUrl(admin)
    this.#token = token
  }

  get url(): string {
    return this.#base.href.replace(/\/$/, '')
  }

  deploy(site: string, build: AppBuild): Promise<{ site: string; version: number }> {
    return this.#call('POST', `/api/apps/${encodeURIComponent(site)}/deploy`, encodeUpload(build))
  }

  rollback(site: string, version?: number): Promise<{ site: string; version: number }> {
    return this.#call('POST', `/api/apps/${encodeURIComponent(site)}/rollback`, version === undefined ? undefined : { version })
  }

  versions(site: string): Promise<{ site: string; current: number | null; versions: VersionInfo[] }> {
    return this.#call('GET', `/api/apps/${encodeURIComponent(site)}/versions`)
  }

  apps(): Promise<{ apps: AppSummary[] }> {
    return this.#call('GET', '/api/apps')
  }

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = new URL(path.slice(1), this.#base)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    let response
    try {
      response = await request(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: ANSWER_TIMEOUT_MS,
        bodyTimeout: ANSWER_TIMEOUT_MS,
      })
    } catch (error) {
      const cause = error as NodeJS.ErrnoException
      throw new AdminRequestError(`cannot reach the admin API at ${this.url}: ${cause.code ?? ''} ${cause.message}`.replace(/ +/g, ' '))
    }
    const text = await response.body.text()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new AdminRequestError(`${this.url} answered HTTP ${response.statusCode} with ${JSON.stringify(String(response.headers['content-type'] ?? 'no content type'))}, not the admin API's JSON (is this the admin address?)`, response.statusCode)
    }
    if (response.statusCode >= 400) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error
      throw new AdminRequestError(error?.message ?? `HTTP ${response.statusCode}`, response.statusCode, error?.code)
    }
    return parsed as T
  }
}

/** The admin base URL from a URL or a listen address; a wildcard host is reached on loopback. */
export function adminUrl(admin: string): URL {
  if (/^https?:\/\//i.test(admin)) {
    const url = new URL(admin)
    if (!url.pathname.endsWith('/')) url.pathname += '/'
    return url
  }
  const listen = parseListen(admin)
  if (!listen) throw new TypeError(`expected the admin URL ("http://127.0.0.1:9090") or "host:port", got ${JSON.stringify(admin)}`)
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host
  return new URL(`http://${formatListen({ host, port: listen.port })}/`)
}
