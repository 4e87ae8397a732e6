import { z } from 'zod'
import type { AppBuild } from '../apps/bundle.js'
import { AdminError } from './admin-errors.js'

/**
 * The deploy request body (docs/deploy.md, "Upload format"): an AppBuild as JSON, data
 * modules' bytes in base64 (RFC 4648 §4, with padding).
 */
const identifier = z.string().regex(/^[A-Za-z_$][\w$]*$/, { message: 'expected a JavaScript identifier' })
const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, { message: 'expected base64 with padding' })

const uploadSchema = z.strictObject({
  build: z.strictObject({
    code: z.string().min(1, { message: 'expected the bundle source' }),
    modules: z.record(z.string().min(1), z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('text'), value: z.string() }),
      z.strictObject({ type: z.literal('data'), base64 }),
    ])).default({}),
    durableObjects: z.array(z.strictObject({ binding: identifier, className: identifier })).default([]),
    vars: z.record(z.string(), z.string()).default({}),
  }),
})

export type DeployUpload = z.input<typeof uploadSchema>

const rollbackSchema = z.strictObject({ version: z.number().int().positive() }).optional()

/** AppBuild → the JSON body `wedge deploy` sends. */
export function encodeUpload(build: AppBuild): DeployUpload {
  const modules: DeployUpload['build']['modules'] = {}
  for (const [key, module] of Object.entries(build.modules)) {
    modules[key] = module.type === 'text' ? module : { type: 'data', base64: Buffer.from(module.value).toString('base64') }
  }
  return { build: { code: build.code, modules, durableObjects: build.durableObjects, vars: build.vars } }
}

/** The deploy body → AppBuild; AdminError 400 naming the first wrong field. */
export function decodeUpload(body: unknown): AppBuild {
  const { build } = parse(uploadSchema, body, 'deploy')
  const modules: AppBuild['modules'] = {}
  for (const [key, module] of Object.entries(build.modules)) {
    modules[key] = module.type === 'text' ? module : { type: 'data', value: new Uint8Array(Buffer.from(module.base64, 'base64')) }
  }
  return { code: build.code, modules, durableObjects: build.durableObjects, vars: build.vars }
}

/** The optional rollback body `{ "version": 3 }`. */
export function decodeRollback(body: unknown): number | undefined {
  return parse(rollbackSchema, body, 'rollback')?.version
}

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  if (body === undefined && what === 'deploy') throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', 'deploy needs a JSON body { "build": { … } }')
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const where = issue.path.map((part, index) => typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`).join('')
  throw new AdminError('WEDGE_ADMIN_BAD_REQUEST', `invalid ${what} body: ${where === '' ? '' : `${where}: `}${issue.message}`)
}
