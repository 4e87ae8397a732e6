/** Wedge's programmatic API: the same config object as the CLI, resolved and validated. */
export { createEdge, type Edge, type EdgeOptions, type EdgeAddresses } from './edge.js'
export { resolveConfig } from './config/resolve.js'
export { ConfigError, type ConfigIssue } from './config/config-error.js'
export type { ResolvedConfig, ConfigInput, SiteConfig } from './config/schema.js'
export { ErrorCatalogue, WedgeError, type ErrorCode } from './errors.js'
