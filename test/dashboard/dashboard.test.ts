import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import type WebSocket from 'ws'
import { buildDashboard } from '../../src/dashboard/build-dashboard.js'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { closed, connect } from '../helpers/ws-client.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import { tempDir } from './temp-dir.js'

const ADMIN_TOKEN = 'dashboard-admin-token-0123456789'
const READ_TOKEN = 'dashboard-read-token-0123456789'
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url))
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** A Durable Object room that echoes over hibernatable sockets: one live object once joined. */
const ROOM_APP = `
import { DurableObject } from 'cloudflare:workers'
export class Room extends DurableObject {
  async fetch() {
    const pair = new WebSocketPair()
    this.ctx.acceptWebSocket(pair[1])
    return new Response(null, { status: 101, webSocket: pair[0] })
  }
  webSocketMessage(ws, message) { ws.send(message) }
}
export default {
  fetch(request, env) { return env.ROOMS.get(env.ROOMS.idFromName('lobby')).fetch(request) }
}
`

/** Text of one card of the totals row. */
const card = (page: Page, metric: string): Promise<string> => page.locator(`[data-metric="${metric}"] .card-value`).innerText()

describe('dashboard in headless Chromium', () => {
  let origin: TestOrigin
  let edge: RunningEdge
  let adminUrl: string
  let browser: Browser
  const clients: WebSocket[] = []
  const ids: string[] = []
  let traffic: NodeJS.Timeout | undefined
  /** Errors the page logged, minus the 401s before a token is given and the read-only token's 403. */
  const pageErrors: string[] = []

  before(async () => {
    await buildDashboard()
    mkdirSync(ARTIFACTS, { recursive: true })
    const dir = tempDir('wedge-dashboard-')
    const deadPort = 9 // discard: nothing listens on it here, so the health check fails
    origin = await startOrigin()
    edge = await startEdge({
      data_dir: dir.path('data'),
      runtime: { runners: 1, spare: false },
      admin: { listen: '127.0.0.1:0', tokens: [{ token: ADMIN_TOKEN, role: 'admin' }, { token: READ_TOKEN, role: 'read' }] },
      sites: [
        { name: 'chat', path_prefix: '/chat', origins: [origin.url, `http://127.0.0.1:${deadPort}`], health_check: { interval: '200ms', timeout: '150ms', unhealthy_threshold: 1 } },
        { name: 'rooms', path_prefix: '/rooms', app: { main: dir.write('room.js', ROOM_APP), durable_objects: [{ name: 'ROOMS', class_name: 'Room' }] } },
      ],
    })
    const address = edge.edge.addresses().admin!
    adminUrl = `http://${address.host}:${address.port}`
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
  })

  after(async () => {
    clearInterval(traffic)
    for (const client of clients) client.terminate()
    await browser?.close()
    await edge?.stop()
    await origin?.close()
  })

  async function openPage(viewport: { width: number; height: number }, token: string | undefined): Promise<Page> {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 })
    const page = await context.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13] /.test(message.text())) pageErrors.push(message.text())
    })
    await page.goto(`${adminUrl}/`)
    assert.equal(new URL(page.url()).pathname, '/dashboard/', 'redirected to the page')
    if (token !== undefined) {
      await page.locator('#login').waitFor({ state: 'visible' })
      await page.fill('#token', token)
      await page.click('#login-submit')
    }
    await page.locator('#board').waitFor({ state: 'visible' })
    return page
  }

  /** Opens a client through the edge and remembers the edge's id for it. */
  async function openClient(urlPath: string): Promise<WebSocket> {
    const known = new Set([...edge.edge.connections.values()].map((connection) => connection.id))
    const client = await connect(`${edge.wsUrl}${urlPath}`)
    clients.push(client)
    const id = await waitFor(() => [...edge.edge.connections.values()].find((connection) => !known.has(connection.id))?.id, 3000, 'the new connection')
    ids.push(id)
    return client
  }

  it('asks for a token, refuses a wrong one, and opens with the right one', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${adminUrl}/dashboard`)
    await page.locator('#login').waitFor({ state: 'visible' })
    await page.fill('#token', 'not-the-token-at-all')
    await page.click('#login-submit')
    await page.locator('#login-error').waitFor({ state: 'visible' })
    assert.equal(await page.innerText('#login-error'), 'This token was refused.')
    await page.fill('#token', ADMIN_TOKEN)
    await page.click('#login-submit')
    await page.locator('#board').waitFor({ state: 'visible' })
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wedge-admin-token')), ADMIN_TOKEN)
    await context.close()
  })

  it('shows live connections, message rates and bandwidth moving, origins, apps and usage; screenshots', async () => {
    const page = await openPage({ width: 1280, height: 900 }, ADMIN_TOKEN)
    for (let index = 0; index < 3; index++) await openClient(`/chat/${index}`)
    const room = await openClient('/rooms/lobby')
    traffic = setInterval(() => {
      for (const client of clients) if (client.readyState === client.OPEN) client.send('tick '.repeat(20))
    }, 20)
    room.send('hello room')

    await page.waitForFunction(() => document.querySelector('[data-metric="open"] .card-value')?.textContent === '4', undefined, { timeout: 5000 })
    await page.waitForFunction(() => Number(document.querySelector('[data-metric="messages-in"] .card-value')?.textContent) > 50, undefined, { timeout: 5000 })
    assert.ok(Number(await card(page, 'messages-out')) > 50, 'echoes counted towards the clients')
    assert.match(await card(page, 'bytes-in'), /KiB\/s$/)
    // The charts have drawn several one-second points.
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 3 && Number((document.querySelector('[data-chart="messages"]') as HTMLElement).dataset.points) >= 3, undefined, { timeout: 5000 })

    const chatRow = page.locator('#sites-table tr[data-site="chat"]')
    await chatRow.waitFor()
    assert.match(await chatRow.innerText(), /chat\s+3\s/)

    await page.locator('#origins-table .badge.down').waitFor({ timeout: 5000 })
    const origins = await page.locator('#origins-table tbody tr').allInnerTexts()
    assert.equal(origins.length, 2)
    assert.match(origins[0]!, new RegExp(`${new URL(origin.url).href}\\s+up`))
    assert.match(origins[1]!, /127\.0\.0\.1:9\/\s+down/)

    const app = page.locator('#apps-table tr[data-app="rooms"]')
    await page.waitForFunction(() => /rooms\s+running\s+\d+\s+1\s+1/.test((document.querySelector('#apps-table tr[data-app="rooms"]') as HTMLElement | null)?.innerText ?? ''), undefined, { timeout: 8000 })
    assert.match(await app.innerText(), /rooms\s+running\s+\d+\s+1\s+1/, 'version, 1 live object, 1 socket')

    await page.click('button[data-step="day"]')
    await page.locator('#usage-table tbody tr:not(.empty)').first().waitFor({ timeout: 5000 })
    assert.match((await page.locator('#usage-table tbody tr').allInnerTexts()).join('\n'), /chat\s+\d{4}-\d\d-\d\d\s/)

    await page.locator(`#connections-table tr[data-connection="${ids[0]}"]`).waitFor()
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true })
    await page.context().close()
  })

  it('closes a connection from the UI with the chosen code and reason, which the client receives', async () => {
    const page = await openPage({ width: 1280, height: 900 }, ADMIN_TOKEN)
    const target = clients[1]!
    const done = closed(target)
    await page.click(`button[data-close="${ids[1]}"]`)
    await page.locator('#close-dialog').waitFor({ state: 'visible' })
    await page.selectOption('#close-code', 'custom')
    await page.fill('#close-custom-code', '4242')
    await page.fill('#close-reason', 'closed from the dashboard')
    await page.click('#close-confirm')
    assert.deepEqual(await done, { code: 4242, reason: 'closed from the dashboard' })
    await page.locator(`#connections-table tr[data-connection="${ids[1]}"]`).waitFor({ state: 'detached', timeout: 5000 })
    assert.equal(await page.locator('#close-dialog').isVisible(), false)
    await page.context().close()
  })

  it('fits a phone screen, and a read-only token cannot close connections', async () => {
    const page = await openPage({ width: 390, height: 844 }, READ_TOKEN)
    await page.waitForFunction(() => document.querySelector('[data-metric="open"] .card-value')?.textContent === '3', undefined, { timeout: 5000 })
    await page.locator(`#connections-table tr[data-connection="${ids[2]}"]`).waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone screen`)
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true })

    await page.click(`button[data-close="${ids[2]}"]`)
    await page.selectOption('#close-code', '1001')
    await page.click('#close-confirm')
    await page.locator('#close-error').waitFor({ state: 'visible' })
    assert.match(await page.innerText('#close-error'), /may only read/)
    assert.equal(clients[2]!.readyState, clients[2]!.OPEN, 'the connection stays open')
    await page.context().close()
  })

  it('logged no script errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(pageErrors, [])
  })
})
