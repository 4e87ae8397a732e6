import type { z } from 'zod'
import { formatPath, isShown, showValue, type ConfigIssue, type SecretPaths } from './config-error.js'
import { didYouMean } from './did-you-mean.js'
import { objectKeys, schemaAtPath, typeText } from './schema-walk.js'

type ZodIssue = z.core.$ZodIssue

interface Context {
  root: z.ZodType
  secrets: SecretPaths | undefined
}

/**
 * Turns zod's issues into config issues that name the key path, the value that was there
 * (unless it came from the environment) and what was expected, in the config's own terms:
 * `sites[0].orign: unknown key (did you mean "origins"?)`, `listen: expected "host:port", got true`.
 * The zod error must come from a parse with `reportInput: true`.
 */
export function issuesFromZod(error: z.ZodError, root: z.ZodType, secrets?: SecretPaths): ConfigIssue[] {
  const context: Context = { root, secrets }
  return error.issues.flatMap((issue) => convert(issue, [], context))
}

function convert(issue: ZodIssue, prefix: PropertyKey[], context: Context): ConfigIssue[] {
  const segments = [...prefix, ...issue.path]
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKey(segments, key, context))
  if (issue.code === 'invalid_union') {
    // A union whose input had the right shape for one option: report that option's problems.
    const matched = issue.errors.find((branch) => !isTypeMismatch(branch))
    if (matched) return matched.flatMap((inner) => convert(inner, segments, context))
  }
  return [withValue(segments, messageFor(issue, segments, context), issue.input, context)]
}

function messageFor(issue: ZodIssue, segments: PropertyKey[], context: Context): string {
  const schema = schemaAtPath(context.root, segments)
  const expected = schema ? typeText(schema) : undefined
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required: expected ${expected ?? issue.expected}`
      return `expected ${expected ?? zodTypeName(issue.expected)}`
    case 'invalid_union':
      return isZodDefault(issue.message) ? `expected ${expected ?? 'a different value'}` : issue.message
    case 'invalid_value': {
      const options = issue.values.map((value) => JSON.stringify(value))
      const hint = typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : undefined
      return `expected ${options.length === 1 ? options[0] : `one of ${options.join(', ')}`}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`
    }
    case 'too_small':
    case 'too_big':
      return boundMessage(issue, expected)
    case 'invalid_format':
      if (issue.format === 'starts_with') return `expected a string starting with ${JSON.stringify((issue as { prefix?: string }).prefix)}`
      return isZodDefault(issue.message) ? `expected ${expected ?? `a ${issue.format}`}` : issue.message
    default:
      return issue.message
  }
}

function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, expected: string | undefined): string {
  const small = issue.code === 'too_small'
  const bound = Number(small ? issue.minimum : issue.maximum)
  const word = small ? 'at least' : 'at most'
  if (issue.origin === 'array') return `expected ${word} ${bound} item${bound === 1 ? '' : 's'}`
  if (issue.origin === 'string') return small && bound === 1 ? 'expected a non-empty string' : `expected ${word} ${bound} characters`
  return `expected ${expected ?? `a number ${word} ${bound}`}`
}

function unknownKey(segments: PropertyKey[], key: string, context: Context): ConfigIssue {
  const parent = schemaAtPath(context.root, segments)
  const allowed = parent ? objectKeys(parent) : []
  const hint = didYouMean(key, allowed)
  const detail = hint ? `did you mean ${JSON.stringify(hint)}?` : allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : undefined
  return { path: formatPath([...segments, key]), message: detail ? `unknown key (${detail})` : 'unknown key' }
}

function withValue(segments: PropertyKey[], message: string, input: unknown, context: Context): ConfigIssue {
  const path = formatPath(segments)
  // Lists and mappings are shown by kind only ("got a list"), which adds nothing to the message.
  if (input === undefined || (typeof input === 'object' && input !== null)) return { path, message }
  const issue: ConfigIssue = { path, message: `${message}, got ${showValue(input, path, context.secrets)}` }
  if (isShown(input, path, context.secrets)) issue.value = input
  return issue
}

/** True when every issue of a union option says "this is not my type at all". */
function isTypeMismatch(branch: readonly ZodIssue[]): boolean {
  return branch.every((issue) => issue.path.length === 0 && (
    issue.code === 'invalid_type' || (issue.code === 'invalid_union' && issue.errors.every(isTypeMismatch))
  ))
}

function isZodDefault(message: string): boolean {
  return message.startsWith('Invalid')
}

function zodTypeName(expected: string): string {
  return ({ int: 'integer', array: 'list', object: 'mapping' } as Record<string, string>)[expected] ?? expected
}
