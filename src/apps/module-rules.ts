import type { ModuleRule, ModuleRuleType } from './wrangler-config.js'

/** Workers' default module rules (wrangler's DEFAULT_MODULE_RULES). */
export const DEFAULT_MODULE_RULES: readonly ModuleRule[] = [
  { type: 'Text', globs: ['**/*.txt', '**/*.html', '**/*.sql'], fallthrough: true },
  { type: 'Data', globs: ['**/*.bin'], fallthrough: true },
  { type: 'CompiledWasm', globs: ['**/*.wasm', '**/*.wasm?module'], fallthrough: true },
]

export interface CompiledRule {
  type: ModuleRuleType
  glob: string
  pattern: RegExp
}

/**
 * The rules in the order they are tried, like wrangler: custom rules first, then the default
 * rules of every type that no custom rule without `fallthrough: true` has taken over.
 */
export function compileRules(custom: readonly ModuleRule[]): CompiledRule[] {
  const replaced = new Set(custom.filter((rule) => !rule.fallthrough).map((rule) => rule.type))
  const rules = [...custom, ...DEFAULT_MODULE_RULES.filter((rule) => !replaced.has(rule.type))]
  return rules.flatMap((rule) => rule.globs.map((glob) => ({ type: rule.type, glob, pattern: globToRegExp(glob) })))
}

/**
 * The rule matching an import specifier as written ("./index.html", "pkg/data.bin"): wrangler
 * tests its globs against the specifier too, so the same files become modules here as there.
 */
export function matchRule(rules: readonly CompiledRule[], specifier: string): CompiledRule | undefined {
  return rules.find((rule) => rule.pattern.test(specifier))
}

/**
 * glob-to-regexp with globstar, as wrangler uses it: `**` crosses "/", `*` does not, every
 * other character (including "?" and ".") is literal. Anchored at both ends.
 */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!
    if (char !== '*') {
      source += char.replace(/[\\^$.|?+()[\]{}/]/g, '\\$&')
      continue
    }
    let stars = 1
    while (glob[index + 1] === '*') { stars++; index++ }
    const segmentStart = index - stars < 0 || glob[index - stars] === '/'
    const segmentEnd = index + 1 === glob.length || glob[index + 1] === '/'
    if (stars > 1 && segmentStart && segmentEnd) {
      // "**/" matches zero or more whole directories, "./" included.
      source += '(?:[^/]*(?:/|$))*'
      if (glob[index + 1] === '/') index++
    } else {
      source += '[^/]*'
    }
  }
  return new RegExp(`^${source}$`)
}
