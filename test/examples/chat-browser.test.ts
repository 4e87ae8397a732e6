import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { defaultConfigInput } from '../../src/config/default-config.js'
import { onCleanup, startExampleEdge, tempDir } from './example-harness.js'

/** Debian's Chromium (never a downloaded browser). */
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SCREENSHOT = path.join(REPO_ROOT, 'test-artifacts', 'chat.png')

async function join(page: Page, name: string, room?: string): Promise<void> {
  await page.fill('#name', name)
  if (room !== undefined) await page.fill('#room', room)
  await page.click('#join')
  await page.locator('#messages li.notice', { hasText: `You joined as ${name}.` }).waitFor()
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
}

const BROWSER_TEST = {
  timeout: 55_000,
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`,
}

test('with the default config, two browser tabs open the chat from the welcome page and see each other\'s messages', BROWSER_TEST, async (t) => {
  // The sites of `npx wedge start` without a config: welcome page at /, chat app at /chat/.
  const { sites } = defaultConfigInput(REPO_ROOT)
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: sites as Record<string, unknown>[] })
  const context = await chromium.launchPersistentContext(tempDir(t, 'wedge-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 760, height: 560 },
  })
  onCleanup(t, () => context.close())
  context.setDefaultTimeout(10_000)

  const welcome = await context.newPage()
  await welcome.goto(`${edge.httpUrl}/`)
  await welcome.locator('#chat').waitFor({ state: 'visible' })
  if (process.env['WEDGE_WELCOME_SCREENSHOT']) await welcome.screenshot({ path: process.env['WEDGE_WELCOME_SCREENSHOT'], fullPage: true })
  await welcome.click('#send')
  await welcome.locator('#log', { hasText: 'received: hello' }).waitFor()
  const opened = context.waitForEvent('page')
  await welcome.click('text=Open the chat')
  const alice = await opened
  await alice.waitForLoadState()
  assert.equal(new URL(alice.url()).pathname, '/chat/room/lobby')
  await join(alice, 'Alice', 'browsers')
  assert.equal(new URL(alice.url()).pathname, '/chat/room/browsers', 'the room is in the URL, under the path prefix')

  const bob = await context.newPage()
  await bob.goto(`${edge.httpUrl}/chat/room/browsers`)
  assert.equal(await bob.inputValue('#room'), 'browsers', 'the room comes from the URL')
  await join(bob, 'Bob')
  await alice.locator('#messages li.notice', { hasText: 'Bob joined' }).waitFor()
  assert.equal(await alice.textContent('#members'), '2 online: Alice, Bob')

  await say(alice, 'Hello from Alice')
  await say(bob, 'Hi Alice, Bob here')
  for (const page of [alice, bob]) {
    await page.locator('#messages li.message', { hasText: 'Alice: Hello from Alice' }).waitFor()
    await page.locator('#messages li.message', { hasText: 'Bob: Hi Alice, Bob here' }).waitFor()
  }
  assert.equal(await alice.locator('#messages li.mine').count(), 1, 'Alice\'s own message is marked as hers')

  mkdirSync(path.dirname(SCREENSHOT), { recursive: true })
  await alice.screenshot({ path: SCREENSHOT })

  await bob.click('#leave')
  await alice.locator('#messages li.notice', { hasText: 'Bob left' }).waitFor()
  assert.equal(await alice.textContent('#members'), '1 online: Alice')
})

test('the welcome page hides the chat card when the edge serves no chat app', BROWSER_TEST, async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [{ name: 'welcome', builtin: 'welcome' }] })
  const context = await chromium.launchPersistentContext(tempDir(t, 'wedge-chromium-'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  onCleanup(t, () => context.close())
  const page = await context.newPage()
  const probe = page.waitForResponse((response) => new URL(response.url()).pathname === '/chat/')
  await page.goto(`${edge.httpUrl}/`)
  assert.equal((await probe).status(), 404)
  assert.equal(await page.locator('#chat').isVisible(), false)
  assert.match(await page.textContent('h1') ?? '', /Wedge .* is running/)
})
