import type { AppBuild } from '../apps/bundle.js'
import type { VersionInfo } from '../apps/version-store.js'

export type { VersionInfo }

export interface AppSummary {
  site: string
  /** The version taking new events; null when the site has never been deployed. */
  version: number | null
  /** Stored version numbers, newest first. */
  versions: number[]
}

/**
 * What the admin API needs from the runtime (implemented in src/runtime/apps-controller.ts
 * over the VersionStore and each site's AppHost). Errors: UnknownSiteError → 404,
 * UnknownVersionError (apps/version-store) → 404, NoPreviousVersionError → 409; any other
 * error from deploy or rollback means the version was refused (it failed to load) → 422 with
 * its message, the old version still running.
 */
export interface AppsController {
  /** Every app site, deployed or not. */
  list(): Promise<AppSummary[]>
  /** Stores the build as a new version, loads it and switches new events to it. */
  deploy(site: string, build: AppBuild): Promise<{ version: number }>
  /** Switches to `version`, or without it to the newest version older than the current one. */
  rollback(site: string, version?: number): Promise<{ version: number }>
  /** Stored versions, newest first. */
  versions(site: string): Promise<VersionInfo[]>
}

/** The site does not exist or is not an app site. */
export class UnknownSiteError extends Error {
  constructor(readonly site: string, detail = 'no app site has this name') {
    super(`site "${site}": ${detail}`)
    this.name = 'UnknownSiteError'
  }
}

/** Rollback without a target when no older version is stored. */
export class NoPreviousVersionError extends Error {
  constructor(readonly site: string, current: number | undefined) {
    super(current === undefined ? `site "${site}" has no deployed version` : `site "${site}" has no version older than ${current} to roll back to`)
    this.name = 'NoPreviousVersionError'
  }
}
