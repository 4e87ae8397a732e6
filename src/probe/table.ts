/** Renders rows as left-aligned columns; the last column is left unpadded so long evidence wraps naturally. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max([...cell].length, ...rows.map((row) => [...(row[column] ?? '')].length)),
  )
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - [...cell].length)))
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '─'.repeat(width)).join('  ')
  return [line(header), rule, ...rows.map(line)].join('\n')
}
