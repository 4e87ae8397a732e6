import { AdminApi, ApiError, AuthError, type SiteLive } from './api.js'
import { LiveCharts } from './charts.js'
import { CloseDialog } from './close-dialog.js'
import { byId, h } from './dom.js'
import { renderApps, renderConnections, renderOrigins, renderSitesLive, renderTotals, renderUsage, totalsOf } from './views.js'

/** How often each part refreshes, in ms. Live numbers every second; the rest less often. */
const EVERY = { live: 1000, connections: 2000, sites: 5000, usage: 60_000 } as const

const api = new AdminApi()
const board = byId('board')
const login = byId('login')
const status = byId('status')
const siteSelect = byId<HTMLSelectElement>('site')
let charts: LiveCharts | undefined
let usageStep: 'hour' | 'day' = 'hour'
let running = false
const timers: number[] = []

const selectedSite = (): string | undefined => siteSelect.value || undefined

function setStatus(text: string, state: 'ok' | 'error' | 'idle'): void {
  status.textContent = text
  status.dataset.state = state
}

/** Runs `task` now and then every `ms` after it finished; an auth failure stops everything. */
function every(ms: number, task: () => Promise<void>): void {
  const run = async (): Promise<void> => {
    if (!running) return
    try {
      await task()
    } catch (error) {
      if (error instanceof AuthError) return signedOut(api.token ? 'This token was refused.' : '')
      setStatus(`Cannot reach the admin API: ${error instanceof Error ? error.message : String(error)}`, 'error')
    }
    if (running) timers.push(window.setTimeout(run, ms))
  }
  void run()
}

function start(): void {
  login.hidden = true
  board.hidden = false
  byId('sign-out').hidden = api.token === null
  charts ??= new LiveCharts(byId('charts'))
  running = true
  every(EVERY.live, refreshLive)
  every(EVERY.connections, refreshConnections)
  every(EVERY.sites, refreshSites)
  every(EVERY.usage, refreshUsage)
}

function stop(): void {
  running = false
  for (const timer of timers.splice(0)) window.clearTimeout(timer)
}

function signedOut(message: string): void {
  stop()
  board.hidden = true
  login.hidden = false
  const error = byId('login-error')
  error.textContent = message
  error.hidden = message === ''
  byId<HTMLInputElement>('token').focus()
}

async function refreshLive(): Promise<void> {
  const live = await api.live()
  syncSiteOptions(live.sites)
  const site = selectedSite()
  const shown = live.sites.filter((entry) => site === undefined || entry.site === site)
  const totals = totalsOf(shown)
  renderTotals(byId('totals'), totals)
  renderSitesLive(byId<HTMLTableElement>('sites-table'), live.sites)
  charts?.push(Date.parse(live.at) / 1000, {
    connections: [totals.open],
    messages: [totals.messagesIn, totals.messagesOut],
    bandwidth: [totals.bytesIn, totals.bytesOut],
  })
  setStatus(`Live · updated ${new Date(live.at).toLocaleTimeString()}`, 'ok')
}

async function refreshConnections(): Promise<void> {
  const { total, connections } = await api.connections(selectedSite())
  byId('connections-count').textContent = connections.length < total ? `${connections.length} of ${total}` : String(total)
  renderConnections(byId<HTMLTableElement>('connections-table'), connections, (connection) => closeDialog.open(connection))
}

async function refreshSites(): Promise<void> {
  const { sites } = await api.sites()
  const site = selectedSite()
  const shown = sites.filter((entry) => site === undefined || entry.name === site)
  renderOrigins(byId<HTMLTableElement>('origins-table'), shown)
  renderApps(byId<HTMLTableElement>('apps-table'), shown)
}

async function refreshUsage(): Promise<void> {
  renderUsage(byId<HTMLTableElement>('usage-table'), await api.usage(usageStep), selectedSite())
}

/** Sites appear in the selector as the meter first sees them. */
function syncSiteOptions(live: readonly SiteLive[]): void {
  const known = new Set([...siteSelect.options].map((option) => option.value))
  for (const site of live) if (!known.has(site.site)) siteSelect.append(h('option', { value: site.site }, site.site))
}

const closeDialog = new CloseDialog(async (id, code, reason) => {
  try {
    await api.closeConnection(id, code, reason)
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) throw new Error('This token may only read: closing a connection needs an admin token.')
    if (error instanceof ApiError && error.status === 404) throw new Error('This connection has already closed.')
    throw error
  }
  await refreshConnections()
})

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = byId<HTMLInputElement>('token')
  api.token = input.value.trim() || null
  input.value = ''
  start()
})

byId('sign-out').addEventListener('click', () => {
  api.token = null
  signedOut('')
})

siteSelect.addEventListener('change', () => {
  charts?.clear()
  void Promise.all([refreshLive(), refreshConnections(), refreshSites(), refreshUsage()]).catch(() => {})
})

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-step]')) {
  button.addEventListener('click', () => {
    usageStep = button.dataset.step === 'day' ? 'day' : 'hour'
    for (const other of document.querySelectorAll<HTMLButtonElement>('[data-step]')) other.setAttribute('aria-pressed', String(other === button))
    void refreshUsage().catch(() => {})
  })
}

start()
