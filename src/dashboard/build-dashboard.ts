import { copyFile, mkdir, readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { DASHBOARD_DIR, DASHBOARD_FILES } from './dashboard-dir.js'

/** The page's sources (this file runs as dist/src/dashboard/build-dashboard.js). */
export const CLIENT_DIR = fileURLToPath(new URL('../../../src/dashboard/client/', import.meta.url))

/** Browsers the bundle must run in: what supports <dialog>, ResizeObserver and ES2020. */
const TARGETS = ['es2020', 'chrome100', 'firefox100', 'safari15.4']

/**
 * Bundles the dashboard into `outDir`: the page, its script with uPlot inside, and its styles
 * with uPlot's. Everything the page loads is served by the admin endpoint, so a dashboard
 * behind a firewall works without reaching the internet. Run by `npm run build`.
 */
export async function buildDashboard(outDir: string = DASHBOARD_DIR): Promise<Record<string, number>> {
  await mkdir(outDir, { recursive: true })
  const uplot = JSON.parse(await readFile(createRequire(import.meta.url).resolve('uplot/package.json'), 'utf8')) as { version: string; license: string }
  const common = { bundle: true, minify: true, outdir: outDir, logLevel: 'warning', charset: 'utf8', legalComments: 'none' } as const
  // uPlot's copyright header is a plain comment that minifying drops; its licence asks to keep it.
  const banner = `/*! Wedge dashboard. Includes uPlot ${uplot.version} (c) Leon Sorokin, ${uplot.license} License, https://github.com/leeoniya/uPlot */`
  await build({ ...common, entryPoints: { dashboard: path.join(CLIENT_DIR, 'main.ts') }, format: 'iife', target: TARGETS, banner: { js: banner } })
  await build({ ...common, entryPoints: { dashboard: path.join(CLIENT_DIR, 'dashboard.css') }, target: TARGETS, banner: { css: banner } })
  await copyFile(path.join(CLIENT_DIR, 'index.html'), path.join(outDir, 'index.html'))
  const sizes: Record<string, number> = {}
  for (const name of Object.keys(DASHBOARD_FILES)) sizes[name] = (await stat(path.join(outDir, name))).size
  return sizes
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2] ?? DASHBOARD_DIR
  const sizes = await buildDashboard(outDir)
  process.stdout.write(`dashboard built in ${outDir}: ${Object.entries(sizes).map(([name, size]) => `${name} ${Math.round(size / 1024)} KiB`).join(', ')}\n`)
}
