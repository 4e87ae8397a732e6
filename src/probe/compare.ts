import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { renderTable } from './table.js'
import type { ProbeResult } from './types.js'

/** A file given to --compare that is missing or is not a probe result (the CLI exits 2). */
export class CompareInputError extends Error {}

export async function loadResult(file: string): Promise<ProbeResult> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new CompareInputError(`${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
  const result = parsed as Partial<ProbeResult>
  if (result.format !== 'wedge-probe/1' || !Array.isArray(result.checks)) {
    throw new CompareInputError(`${file}: not a wedge probe result (expected "format": "wedge-probe/1")`)
  }
  return result as ProbeResult
}

/** Column titles: the probed URL, or the file name when two results probed the same URL. */
function columnTitles(results: ProbeResult[], files: string[]): string[] {
  return results.map((result, index) =>
    results.filter((other) => other.url === result.url).length > 1 ? basename(files[index]!) : result.url,
  )
}

/** One row per check, one column per result; each cell is the verdict and the measured summary. */
export function formatComparison(results: ProbeResult[], files: string[]): string {
  const ids: string[] = []
  for (const result of results) for (const check of result.checks) if (!ids.includes(check.id)) ids.push(check.id)
  const rows = ids.map((id) => [
    id,
    ...results.map((result) => {
      const check = result.checks.find((item) => item.id === id)
      if (!check) return '—'
      return `${check.status === 'fail' ? 'FAIL' : check.status} ${check.summary}`
    }),
  ])
  const verdicts = ['required', ...results.map((result) => (result.ok ? 'ok' : 'FAIL'))]
  const titles = columnTitles(results, files)
  const legend = titles.map((title, index) => `[${index + 1}] ${title}  (${files[index]}, ${results[index]!.startedAt})`)
  const table = renderTable(['check', ...titles.map((_, index) => `[${index + 1}]`)], [...rows, verdicts])
  return [...legend, '', table].join('\n')
}
