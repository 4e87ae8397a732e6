import type { SiteConfig } from '../config/schema.js'
import type { AppConfig } from '../config/app-schema.js'
import type { AppBuild } from '../apps/bundle.js'
import type { AppManifest } from './runner-protocol.js'

/** A site served by an app instead of origins. */
export type AppSiteConfig = SiteConfig & { app: AppConfig }

const MIB = 1024 * 1024

/**
 * What a runner loads: the stored build plus what the site config says now (secrets,
 * limits, fetch_allow are never part of a stored version, so a config reload or a rollback
 * applies the current ones).
 */
export function toManifest(site: AppSiteConfig, build: AppBuild, version: number): AppManifest {
  const app = site.app
  return {
    appId: site.name,
    version,
    code: build.code,
    modules: build.modules,
    durableObjects: build.durableObjects,
    vars: build.vars,
    secrets: { ...app.secrets },
    fetchAllow: [...app.fetch_allow],
    limits: { cpuMs: app.limits.cpu, memoryMb: Math.max(1, Math.ceil(app.limits.memory / MIB)) },
    allowWasm: app.allow_wasm,
    hibernateAfterMs: app.hibernate_after,
  }
}
