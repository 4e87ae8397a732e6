import { z } from 'zod'
import { typeNameOf, type TypeName } from './type-names.js'

/**
 * Reads the zod schema as data, so that validation messages (allowed keys, expected types)
 * and the generated reference come from the schema itself rather than a copy of it.
 */

/** A schema with its optional/default wrappers peeled off, and what they said. */
export interface Unwrapped {
  schema: z.ZodType
  optional: boolean
  hasDefault: boolean
  defaultValue: unknown
  description: string | undefined
  typeName: TypeName | undefined
}

export function unwrap(schema: z.ZodType): Unwrapped {
  const out: Unwrapped = { schema, optional: false, hasDefault: false, defaultValue: undefined, description: undefined, typeName: undefined }
  for (let current = schema; ; ) {
    out.schema = current
    out.description ??= current.description
    out.typeName ??= typeNameOf(current)
    if (out.typeName) return out
    if (current instanceof z.ZodOptional) {
      out.optional = true
      current = current.unwrap() as z.ZodType
    } else if (current instanceof z.ZodDefault) {
      out.hasDefault = true
      out.defaultValue = current._zod.def.defaultValue
      current = current.unwrap() as z.ZodType
    } else if (current instanceof z.ZodPipe && current._zod.def.out instanceof z.ZodTransform) {
      // A transform only reshapes the value; what the user writes is the pipe's input.
      current = current._zod.def.in as z.ZodType
    } else {
      return out
    }
  }
}

/** The schema for one key (string) or list index (number) below `schema`, if the schema has it. */
export function childSchema(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const inner = unwrap(schema).schema
  if (inner instanceof z.ZodUnion) {
    for (const option of inner.options as z.ZodType[]) {
      const child = childSchema(option, key)
      if (child) return child
    }
    return undefined
  }
  if (typeof key === 'number') return inner instanceof z.ZodArray ? inner.element as z.ZodType : undefined
  if (inner instanceof z.ZodObject && typeof key === 'string' && Object.hasOwn(inner.shape, key)) {
    return inner.shape[key] as z.ZodType
  }
  return undefined
}

export function schemaAtPath(root: z.ZodType, path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  let current: z.ZodType | undefined = root
  for (const key of path) {
    if (!current) return undefined
    current = childSchema(current, key)
  }
  return current
}

/** The keys an object schema allows (for a union: the keys of its object options). */
export function objectKeys(schema: z.ZodType): string[] {
  const inner = unwrap(schema).schema
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape)
  if (inner instanceof z.ZodUnion) return [...new Set((inner.options as z.ZodType[]).flatMap(objectKeys))]
  return []
}

/** The object schemas reachable as this field's value: itself, a list's element, a union's options. */
export function objectSchemasOf(schema: z.ZodType): z.ZodObject[] {
  const inner = unwrap(schema).schema
  if (inner instanceof z.ZodObject) return [inner]
  if (inner instanceof z.ZodArray) return objectSchemasOf(inner.element as z.ZodType)
  if (inner instanceof z.ZodUnion) return (inner.options as z.ZodType[]).flatMap(objectSchemasOf)
  return []
}

/** How docs and messages name the type a field expects: "duration", "integer ≥ 1", "list of URL or object". */
export function typeText(schema: z.ZodType): string {
  const { schema: inner, typeName } = unwrap(schema)
  if (typeName) return typeName.name
  if (inner instanceof z.ZodString) {
    const prefix = checksOf(inner).find((check) => check.format === 'starts_with')?.prefix
    return prefix === undefined ? 'string' : `string starting with ${JSON.stringify(prefix)}`
  }
  if (inner instanceof z.ZodNumber) return numberText(inner)
  if (inner instanceof z.ZodBoolean) return 'boolean'
  if (inner instanceof z.ZodEnum) return inner.options.map((option) => JSON.stringify(option)).join(' | ')
  if (inner instanceof z.ZodArray) return `list of ${typeText(inner.element as z.ZodType)}`
  if (inner instanceof z.ZodObject) return 'object'
  if (inner instanceof z.ZodRecord) return `mapping of ${typeText(inner.keyType as z.ZodType)} to ${typeText(inner.valueType as z.ZodType)}`
  if (inner instanceof z.ZodUnion) return (inner.options as z.ZodType[]).map(typeText).join(' or ')
  return inner._zod.def.type
}

interface CheckDef {
  check?: string
  format?: string
  prefix?: string
  value?: unknown
  inclusive?: boolean
}

function checksOf(schema: z.ZodType): CheckDef[] {
  const checks = (schema._zod.def as { checks?: Array<{ _zod: { def: CheckDef } }> }).checks ?? []
  return checks.map((check) => check._zod.def)
}

function numberText(schema: z.ZodNumber): string {
  const integer = schema.isInt
  let min: number | undefined
  let max: number | undefined
  for (const check of checksOf(schema)) {
    if (typeof check.value !== 'number') continue
    // An exclusive bound on an integer is the next integer inclusive: "> 0" reads better as "≥ 1".
    const step = check.inclusive ? 0 : integer ? 1 : 0
    if (check.check === 'greater_than') min = check.value + step
    if (check.check === 'less_than') max = check.value - step
  }
  const name = integer ? 'integer' : 'number'
  if (min !== undefined && max !== undefined) return `${name} ${min}-${max}`
  if (min !== undefined) return `${name} ≥ ${min}`
  if (max !== undefined) return `${name} ≤ ${max}`
  return name
}
