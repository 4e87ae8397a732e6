import type { z } from 'zod'

/** How the docs and messages name one of the config's own value types. */
export interface TypeName {
  name: string
  /** Turns a resolved value back into config spelling (30000 → "30s") for defaults in the docs. */
  format?: (value: unknown) => string
}

// Keyed by the schema's definition rather than the schema: `.describe()` returns a clone that
// shares the definition, and the name must survive it.
const names = new WeakMap<object, TypeName>()

/** Names a config value type (duration, size, "host:port", URL); returns the schema unchanged. */
export function nameType<T extends z.ZodType>(schema: T, name: TypeName): T {
  names.set(schema._zod.def, name)
  return schema
}

export function typeNameOf(schema: z.ZodType): TypeName | undefined {
  return names.get(schema._zod.def)
}
