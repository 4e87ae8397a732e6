import { fileURLToPath } from 'node:url'

/**
 * Where `npm run build` puts the dashboard page and its bundled script and styles:
 * `dist/dashboard/` (this file runs as dist/src/dashboard/dashboard-dir.js).
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url))

/** The files of a built dashboard, served under /dashboard/. */
export const DASHBOARD_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
} as const

export type DashboardFile = keyof typeof DASHBOARD_FILES
