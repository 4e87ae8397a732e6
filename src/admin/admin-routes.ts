import { UnknownVersionError } from '../apps/version-store.js'
import { VERSION } from '../version.js'
import { AdminError } from './admin-errors.js'
import type { AdminContext } from './admin-context.js'
import { NoPreviousVersionError, UnknownSiteError, type AppsController } from './apps-controller.js'
import { addConnectionRoutes } from './connection-routes.js'
import { addDashboardRoutes } from './dashboard-routes.js'
import { addObserveRoutes } from './observe-routes.js'
import { readJsonBody } from './request-body.js'
import { Router } from './router.js'
import { decodeRollback, decodeUpload } from './upload-format.js'

/** Every admin route (docs/admin-api.md lists them with their answers). */
export function adminRoutes(context: AdminContext, options: { maxBodyBytes: number; dashboardDir: string }): Router {
  const router = new Router()
    .add('GET', '/api/health', async () => ({ body: { status: 'ok', version: VERSION } }), { public: true })
  addAppRoutes(router, context.apps, options.maxBodyBytes)
  addObserveRoutes(router, context)
  addConnectionRoutes(router, context)
  return addDashboardRoutes(router, options.dashboardDir)
}

/** Deploy, rollback and versions of app sites (docs/deploy.md has their bodies). */
function addAppRoutes(router: Router, controller: AppsController, maxBodyBytes: number): Router {
  return router
    .add('GET', '/api/apps', async () => ({ body: { apps: await controller.list() } }))
    .add('GET', '/api/apps/:site/versions', async ({ params }) => {
      const versions = await call(() => controller.versions(params.site!))
      return { body: { site: params.site, current: versions.find((info) => info.current)?.version ?? null, versions } }
    })
    .add('POST', '/api/apps/:site/deploy', async ({ request, params }) => {
      const build = decodeUpload(await readJsonBody(request, maxBodyBytes))
      const { version } = await call(() => controller.deploy(params.site!, build), 'WEDGE_ADMIN_DEPLOY_REFUSED')
      return { body: { site: params.site, version } }
    })
    .add('POST', '/api/apps/:site/rollback', async ({ request, params }) => {
      const target = decodeRollback(await readJsonBody(request, maxBodyBytes))
      const { version } = await call(() => controller.rollback(params.site!, target), 'WEDGE_ADMIN_DEPLOY_REFUSED')
      return { body: { site: params.site, version } }
    })
}

/**
 * Maps the controller's errors to answers. `refused` is the code for any other error: a
 * deploy or rollback whose version failed to build or load is refused (422), not a crash.
 */
async function call<T>(action: () => Promise<T>, refused?: 'WEDGE_ADMIN_DEPLOY_REFUSED'): Promise<T> {
  try {
    return await action()
  } catch (error) {
    if (error instanceof AdminError) throw error
    if (error instanceof UnknownSiteError) throw new AdminError('WEDGE_ADMIN_UNKNOWN_SITE', error.message)
    if (error instanceof UnknownVersionError) throw new AdminError('WEDGE_ADMIN_UNKNOWN_VERSION', error.message)
    if (error instanceof NoPreviousVersionError) throw new AdminError('WEDGE_ADMIN_NO_PREVIOUS_VERSION', error.message)
    if (refused) throw new AdminError(refused, error instanceof Error ? error.message : String(error))
    throw error
  }
}
