import { Registry } from 'prom-client'
import type { AdminContext } from '../../src/admin/admin-context.js'
import type { AppsController } from '../../src/admin/apps-controller.js'
import { usageReport } from '../../src/metering/usage-report.js'
import { openUsageStore } from '../../src/metering/usage-store.js'

/** An AdminContext for app-deploy tests: no sites, no connections, an empty registry and usage store. */
export function appsOnlyContext(apps: AppsController): AdminContext {
  const registry = new Registry()
  const usage = openUsageStore(':memory:')
  return {
    apps,
    metrics: () => registry.metrics(),
    live: () => [],
    usage: (query) => usageReport(usage, query),
    connections: () => [],
    closeConnection: () => false,
    sites: () => [],
  }
}
