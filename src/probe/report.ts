import { formatBytes, formatMs } from './payload.js'
import { renderTable } from './table.js'
import type { CheckResult, ProbeResult } from './types.js'

const MARK = { pass: 'pass', fail: 'FAIL', 'n/a': 'n/a' } as const

function verdictCell(check: CheckResult): string {
  return `${MARK[check.status]}${check.required ? '*' : ''}`
}

/** The human report: one row per check with its evidence, then a one-line verdict. */
export function formatReport(result: ProbeResult, width?: number): string {
  const rows = result.checks.map((check) => [check.id, verdictCell(check), formatMs(check.durationMs), check.evidence])
  const counts = { pass: 0, fail: 0, 'n/a': 0 }
  for (const check of result.checks) counts[check.status]++
  const failedRequired = result.checks.filter((check) => check.required && check.status === 'fail').map((check) => check.id)
  const verdict = failedRequired.length
    ? `required check failed: ${failedRequired.join(', ')}`
    : 'all required checks passed'
  return [
    `wedge probe ${result.url}`,
    `started ${result.startedAt}, took ${formatMs(result.durationMs)}; budget ${formatMs(result.options.budgetMs)}, max size ${formatBytes(result.options.maxSize)}, concurrency ${result.options.concurrency}`,
    '',
    renderTable(['check', 'result', 'time', 'evidence'], rows, width),
    '',
    `${counts.pass} pass, ${counts.fail} fail, ${counts['n/a']} n/a (* = required): ${verdict}`,
  ].join('\n')
}
