import type { Readable } from 'node:stream'

const MAX_LINE = 8_192

/** Calls `onLine` for each line of a child's output (a runner's stdout/stderr), cut at 8 KiB. */
export function pipeLines(stream: Readable, onLine: (line: string) => void): void {
  let partial = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop()!.slice(0, MAX_LINE)
    for (const line of lines) if (line.trim()) onLine(line.slice(0, MAX_LINE))
  })
  stream.on('end', () => {
    if (partial.trim()) onLine(partial)
  })
}
