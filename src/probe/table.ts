const length = (text: string): number => [...text].length

/** Splits `text` into lines of at most `width` characters, breaking at spaces where it can. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    const candidate = current ? `${current} ${word}` : word
    if (length(candidate) <= width || !current) current = candidate
    else {
      lines.push(current)
      current = word
    }
  }
  lines.push(current)
  return lines
}

/**
 * Renders rows as left-aligned columns. The last column (evidence) is not padded; with a
 * `width` (a terminal's columns) it wraps under itself instead of running off the edge.
 */
export function renderTable(header: string[], rows: string[][], width?: number): string {
  const widths = header.map((cell, column) => Math.max(length(cell), ...rows.map((row) => length(row[column] ?? ''))))
  const indent = widths.slice(0, -1).reduce((sum, columnWidth) => sum + columnWidth + 2, 0)
  const room = width && width - indent >= 30 ? width - indent - 1 : undefined
  const line = (cells: string[]): string[] => {
    const lead = cells.slice(0, -1).map((cell, column) => cell + ' '.repeat(widths[column]! - length(cell))).join('  ')
    const last = cells.at(-1) ?? ''
    const parts = room ? wrap(last, room) : [last]
    return parts.map((part, index) => `${index === 0 ? lead : ' '.repeat(lead.length)}${cells.length > 1 ? '  ' : ''}${part}`.trimEnd())
  }
  const lastRule = Math.min(widths.at(-1)!, room ?? 40)
  const rule = [...widths.slice(0, -1), lastRule].map((columnWidth) => '─'.repeat(columnWidth)).join('  ')
  return [...line(header), rule, ...rows.flatMap(line)].join('\n')
}
