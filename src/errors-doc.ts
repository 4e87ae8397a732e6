import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ErrorCatalogue } from './errors.js'

/** docs/errors.md, generated from the catalogue (`node dist/src/errors-doc.js --write`). */
export function errorsMarkdown(): string {
  let out = '# Errors\n\nEvery refusal or forced close Wedge produces comes from one catalogue (`src/errors.ts`). '
  out += 'Refused handshakes and requests carry the code in an `x-wedge-error` response header and a plain-text body naming the rule; '
  out += 'connections closed by the edge carry the close code below, and the close log line carries the code in `error`.\n\n'
  out += '| code | HTTP status | close code | meaning |\n|---|---|---|---|\n'
  for (const [code, entry] of Object.entries(ErrorCatalogue)) out += `| \`${code}\` | ${entry.status} | ${entry.close} | ${entry.message} |\n`
  out += '\nClose codes that come from the peers (for example 4001 from your app) pass through unchanged in both directions. '
  out += 'Codes 1005 and 1006 are never sent on the wire (RFC 6455 §7.4): when a peer vanishes without a Close frame, the other side gets 1014 (origin lost) or the origin gets 1001 (client lost).\n'
  out += '\nThe admin API answers errors as JSON `{ "error": { "code", "message" } }`; its codes are listed in `src/admin/admin-errors.ts`.\n'
  return out
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  writeFileSync(new URL('../../docs/errors.md', import.meta.url), errorsMarkdown())
  console.log('wrote docs/errors.md')
}
