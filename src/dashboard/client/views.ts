import type { ListedConnection, SiteInfo, SiteLive, UsageReport } from './api.js'
import { cell, fillTable, formatAge, formatBytes, formatCount, formatRate, formatTime, h } from './dom.js'

/** Live numbers of the selected site (or of all sites summed). */
export interface Totals {
  open: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
}

export function totalsOf(live: readonly SiteLive[]): Totals {
  const totals: Totals = { open: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }
  for (const site of live) {
    totals.open += site.open
    totals.messagesIn += site.rates.fromClient.messagesPerSecond
    totals.messagesOut += site.rates.toClient.messagesPerSecond
    totals.bytesIn += site.rates.fromClient.wireBytesPerSecond
    totals.bytesOut += site.rates.toClient.wireBytesPerSecond
  }
  return totals
}

export function renderTotals(container: HTMLElement, totals: Totals): void {
  const card = (name: string, label: string, value: string): HTMLElement =>
    h('div', { class: 'card', 'data-metric': name }, h('span', { class: 'card-label' }, label), h('span', { class: 'card-value' }, value))
  container.replaceChildren(
    card('open', 'Open connections', formatCount(totals.open)),
    card('messages-in', 'Messages/s from clients', formatRate(totals.messagesIn)),
    card('messages-out', 'Messages/s to clients', formatRate(totals.messagesOut)),
    card('bytes-in', 'Bandwidth in', `${formatBytes(totals.bytesIn)}/s`),
    card('bytes-out', 'Bandwidth out', `${formatBytes(totals.bytesOut)}/s`),
  )
}

export function renderSitesLive(table: HTMLTableElement, live: readonly SiteLive[]): void {
  fillTable(table, live.map((site) => h('tr', { 'data-site': site.site },
    cell('Site', site.site, 'name'),
    cell('Open', formatCount(site.open), 'num'),
    cell('Msg/s in', formatRate(site.rates.fromClient.messagesPerSecond), 'num'),
    cell('Msg/s out', formatRate(site.rates.toClient.messagesPerSecond), 'num'),
    cell('In', `${formatBytes(site.rates.fromClient.wireBytesPerSecond)}/s`, 'num'),
    cell('Out', `${formatBytes(site.rates.toClient.wireBytesPerSecond)}/s`, 'num'),
    cell('Handshakes', `${formatCount(site.handshakes.accepted)} ok / ${formatCount(site.handshakes.refused)} refused`, 'num'),
  )), 'No traffic yet')
}

export function renderOrigins(table: HTMLTableElement, sites: readonly SiteInfo[]): void {
  const rows: HTMLTableRowElement[] = []
  for (const site of sites) {
    if (site.kind !== 'proxy') continue
    for (const origin of site.origins) {
      const state = origin.healthy ? 'up' : 'down'
      rows.push(h('tr', { 'data-origin': origin.id },
        cell('Site', site.name, 'name'),
        cell('Origin', origin.id, 'mono'),
        cell('Health', h('span', { class: `badge ${state}` }, state)),
        cell('Active', formatCount(origin.active), 'num'),
        cell('Weight', String(origin.weight), 'num'),
        cell('Failures', String(origin.consecutiveFailures), 'num'),
        cell('Last check', origin.lastCheck ? `${origin.lastCheck.ok ? 'ok' : 'failed'}: ${origin.lastCheck.detail} at ${formatTime(origin.lastCheck.at)}` : '—'),
      ))
    }
  }
  fillTable(table, rows, 'No proxy sites')
}

export function renderApps(table: HTMLTableElement, sites: readonly SiteInfo[]): void {
  const rows: HTMLTableRowElement[] = []
  for (const site of sites) {
    if (site.kind !== 'app') continue
    rows.push(h('tr', { 'data-app': site.name },
      cell('Site', site.name, 'name'),
      cell('State', h('span', { class: `badge ${site.running ? 'up' : 'down'}` }, site.running ? 'running' : 'stopped')),
      cell('Version', site.version === null ? '—' : String(site.version), 'num'),
      cell('Live objects', formatCount(site.liveObjects), 'num'),
      cell('Sockets', formatCount(site.sockets), 'num'),
    ))
  }
  fillTable(table, rows, 'No app sites')
}

export function renderUsage(table: HTMLTableElement, report: UsageReport, site: string | undefined): void {
  const rows = report.rows.filter((row) => site === undefined || row.site === site).reverse()
  const start = (iso: string): string => (report.step === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`)
  fillTable(table, rows.map((row) => h('tr', {},
    cell('Site', row.site, 'name'),
    cell('Start (UTC)', start(row.start), 'mono'),
    cell('Conn-minutes', row.connectionMinutes.toFixed(1), 'num'),
    cell('Peak', formatCount(row.peakConcurrent), 'num'),
    cell('Messages in', formatCount(row.messagesFromClient), 'num'),
    cell('Messages out', formatCount(row.messagesToClient), 'num'),
    cell('Bytes in', formatBytes(row.wireBytesFromClient), 'num'),
    cell('Bytes out', formatBytes(row.wireBytesToClient), 'num'),
  )), 'No usage recorded in this range yet (minutes are stored once complete)')
}

export function renderConnections(table: HTMLTableElement, connections: readonly ListedConnection[], onClose: (connection: ListedConnection) => void): void {
  fillTable(table, connections.map((connection) => {
    const button = h('button', { type: 'button', class: 'close-button', 'data-close': connection.id }, 'Close…')
    button.addEventListener('click', () => onClose(connection))
    return h('tr', { 'data-connection': connection.id },
      cell('Id', connection.id, 'mono'),
      cell('Client', connection.clientIp, 'mono'),
      cell('Site', connection.site, 'name'),
      cell('Upstream', connection.upstream, 'mono'),
      cell('Age', formatAge(connection.ageMs), 'num'),
      cell('Msgs in / out', `${formatCount(connection.fromClient.messages)} / ${formatCount(connection.toClient.messages)}`, 'num'),
      cell('Bytes in / out', `${formatBytes(connection.fromClient.wireBytes)} / ${formatBytes(connection.toClient.wireBytes)}`, 'num'),
      cell('', button),
    )
  }), 'No open connections')
}
