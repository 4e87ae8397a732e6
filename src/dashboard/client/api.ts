import type { SiteInfo, SiteLive, UsageReport } from '../../admin/admin-context.js'
import type { ListedConnection } from '../../admin/connection-routes.js'

export type { ListedConnection, SiteInfo, SiteLive, UsageReport }

const TOKEN_KEY = 'wedge-admin-token'

/** The API refused the token (or asked for one). */
export class AuthError extends Error {}

/** An error answer of the admin API. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code: string) {
    super(message)
  }
}

/**
 * The admin API as the page uses it. The token the user pastes lives in sessionStorage (gone
 * when the tab closes) and goes out as a bearer header; without one (an edge without tokens,
 * on loopback) requests go out bare. Paths are relative: the page is served at /dashboard/.
 */
export class AdminApi {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY)
  }

  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value)
    else sessionStorage.removeItem(TOKEN_KEY)
  }

  live(): Promise<{ at: string; sites: SiteLive[] }> {
    return this.#call('GET', '../api/live')
  }

  sites(): Promise<{ sites: SiteInfo[] }> {
    return this.#call('GET', '../api/sites')
  }

  usage(step: 'hour' | 'day'): Promise<UsageReport> {
    return this.#call('GET', `../api/usage?step=${step}`)
  }

  connections(site: string | undefined): Promise<{ total: number; connections: ListedConnection[] }> {
    return this.#call('GET', `../api/connections${site ? `?site=${encodeURIComponent(site)}` : ''}`)
  }

  closeConnection(id: string, code: number, reason: string): Promise<unknown> {
    const query = new URLSearchParams({ code: String(code), reason })
    return this.#call('DELETE', `../api/connections/${encodeURIComponent(id)}?${query}`)
  }

  async #call<T>(method: 'GET' | 'DELETE', path: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = this.token
    if (token) headers.authorization = `Bearer ${token}`
    const response = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit' })
    if (response.status === 401) throw new AuthError('a valid token is required')
    const body = await response.json().catch(() => undefined) as { error?: { code: string; message: string } } | undefined
    if (!response.ok) throw new ApiError(body?.error?.message ?? `HTTP ${response.status}`, response.status, body?.error?.code ?? '')
    return body as T
  }
}
