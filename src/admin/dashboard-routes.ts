import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { DASHBOARD_FILES, type DashboardFile } from '../dashboard/dashboard-dir.js'
import { AdminError } from './admin-errors.js'
import type { RouteResult, Router } from './router.js'

/**
 * The page may only load its own script and styles and talk to this endpoint (uPlot sets
 * inline styles on its elements, hence 'unsafe-inline' for styles only); it may not be framed,
 * so its close buttons cannot be clickjacked.
 */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const

/**
 * The dashboard: `/` and `/dashboard` redirect to `/dashboard/`, which serves the built page
 * (`npm run build` writes it to `dir`). The files hold no data, so they are public; the page
 * asks for a token when the API answers 401. Relative redirects and asset paths keep it
 * working behind a reverse proxy that mounts the admin endpoint under a sub-path.
 */
export function addDashboardRoutes(router: Router, dir: string): Router {
  const files = new DashboardFiles(dir)
  const redirect = async (): Promise<RouteResult> => ({ status: 302, raw: '', headers: { 'content-type': 'text/plain; charset=utf-8', location: 'dashboard/' } })
  const serve = (name: DashboardFile) => async (): Promise<RouteResult> => ({ raw: await files.get(name), headers: { 'content-type': DASHBOARD_FILES[name], ...PAGE_HEADERS } })
  return router
    .add('GET', '/', redirect, { public: true })
    .add('GET', '/dashboard', redirect, { public: true })
    .add('GET', '/dashboard/', serve('index.html'), { public: true })
    .add('GET', '/dashboard/dashboard.js', serve('dashboard.js'), { public: true })
    .add('GET', '/dashboard/dashboard.css', serve('dashboard.css'), { public: true })
}

/** Reads each built file once; a missing build is reported on every request until it appears. */
class DashboardFiles {
  readonly #dir: string
  readonly #cache = new Map<DashboardFile, Buffer>()

  constructor(dir: string) {
    this.#dir = dir
  }

  async get(name: DashboardFile): Promise<Buffer> {
    const cached = this.#cache.get(name)
    if (cached) return cached
    try {
      const data = await readFile(path.join(this.#dir, name))
      this.#cache.set(name, data)
      return data
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      throw new AdminError('WEDGE_ADMIN_NOT_FOUND', `the dashboard is not built (${path.join(this.#dir, name)} is missing): run "npm run build"`)
    }
  }
}
