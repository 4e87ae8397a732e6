/** Tiny DOM helpers: every text goes in through textContent, never as HTML. */

type Child = Node | string | number | null | undefined | false

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | boolean | number | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue
    if (name === 'class') element.className = String(value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === 'object' ? child : String(child))
  }
  return element
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (!element) throw new Error(`#${id} missing from the page`)
  return element as T
}

/** Replaces the body rows of a table; an empty list shows one row with `empty`. */
export function fillTable(table: HTMLTableElement, rows: HTMLTableRowElement[], empty: string): void {
  const body = table.tBodies[0] ?? table.createTBody()
  if (rows.length === 0) {
    const columns = table.tHead?.rows[0]?.cells.length ?? 1
    body.replaceChildren(h('tr', { class: 'empty' }, h('td', { colspan: columns }, empty)))
    return
  }
  body.replaceChildren(...rows)
}

/** A table cell that keeps its label for the stacked layout on narrow screens. */
export function cell(label: string, content: Child, className?: string): HTMLTableCellElement {
  return h('td', { 'data-label': label, class: className }, content)
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(value < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`
}

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0'
  if (perSecond < 10) return perSecond.toFixed(2)
  return Math.round(perSecond).toLocaleString('en-US')
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US')
}

/** 75000 → "1m 15s"; 5400000 → "1h 30m". */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h ${minutes % 60}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

export function formatTime(iso: string | number): string {
  return new Date(iso).toISOString().slice(11, 19)
}
