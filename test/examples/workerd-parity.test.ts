import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { waitFor } from '../helpers/edge-harness.js'
import { exampleSite, JsonClient, startExampleEdge, tempDir } from './example-harness.js'
import { startOnWorkerd, workerdMissing } from './workerd-harness.js'

/**
 * One scenario per example, run on Wedge and on workerd (Cloudflare's runtime): the examples
 * behave the same on both, so they are portable Workers code.
 */
interface Urls { httpUrl: string; wsUrl: string }

type Scenario = (t: TestContext, urls: Urls) => Promise<void>

interface Message { type: string; [key: string]: unknown }

const SCENARIOS: Record<string, { vars?: Record<string, string>; run: Scenario }> = {
  chat: {
    async run(t, { wsUrl }) {
      const alice = await JsonClient.open(t, `${wsUrl}/room/lobby?name=alice`)
      await alice.until('welcome')
      const bob = await JsonClient.open(t, `${wsUrl}/room/lobby?name=bob`)
      await bob.until('welcome')
      assert.equal((await alice.until<Message>('join')).name, 'bob')
      alice.send({ type: 'message', text: 'hello' })
      for (const client of [alice, bob]) assert.equal((await client.until<Message>('message')).text, 'hello')
      assert.equal((await bob.close()).code, 1000, 'the room completes the closing handshake')
      assert.equal((await alice.until<Message>('leave')).name, 'bob')
      const carol = await JsonClient.open(t, `${wsUrl}/room/lobby?name=carol`)
      const welcome = await carol.until<{ members: string[]; history: { name: string; text: string }[] }>('welcome')
      assert.deepEqual(welcome.members.sort(), ['alice', 'carol'])
      assert.deepEqual(welcome.history.map((message) => `${message.name}: ${message.text}`), ['alice: hello'])
    },
  },
  broadcast: {
    async run(t, { wsUrl }) {
      const [a, b, c] = await Promise.all([0, 1, 2].map(() => JsonClient.open(t, `${wsUrl}/room`)))
      a!.client.send('one to many')
      assert.equal(await b!.client.next(), 'one to many')
      assert.equal(await c!.client.next(), 'one to many')
      assert.ok(await a!.silentFor(200), 'the sender does not hear itself')
    },
  },
  game: {
    async run(t, { httpUrl, wsUrl }) {
      const alice = await JsonClient.open(t, `${wsUrl}/room/arena?name=alice`)
      const { id } = await alice.until<{ id: string }>('welcome')
      const first = await alice.until<{ players: { id: string; x: number }[] }>('state')
      const startX = first.players.find((player) => player.id === id)!.x
      const dx = startX > 320 ? -1 : 1
      alice.send({ type: 'input', dx, dy: 0 })
      const started = Date.now()
      let states = 0
      let last = first
      while (Date.now() - started < 1000) {
        last = await alice.until<typeof first>('state')
        states++
      }
      assert.ok(states >= 6 && states <= 13, `${states} ticks in a second`)
      assert.ok((last.players.find((player) => player.id === id)!.x - startX) * dx >= 32, 'the input moved the player')
      assert.equal((await alice.close()).code, 1000)
      const idle = await waitFor(async () => {
        const state = await (await fetch(`${httpUrl}/room/arena/state`)).json() as { players: unknown[]; alarm: number | null }
        return state.alarm === null && state.players.length === 0
      }, 3000, 'the alarm to stop')
      assert.ok(idle)
    },
  },
  counter: {
    vars: { SNAPSHOT_DELAY_MS: '300' },
    async run(_t, { httpUrl }) {
      await fetch(`${httpUrl}/counters/hits/increment`, { method: 'POST' })
      const two = await (await fetch(`${httpUrl}/counters/hits/increment`, { method: 'POST' })).json() as { count: number; nextSnapshotAt: number | null }
      assert.equal(two.count, 2)
      assert.notEqual(two.nextSnapshotAt, null)
      const snapshot = await waitFor(async () => ((await (await fetch(`${httpUrl}/counters/hits`)).json()) as { snapshot: { count: number } | null }).snapshot, 5000, 'the snapshot alarm')
      assert.equal(snapshot.count, 2)
    },
  },
}

for (const [example, scenario] of Object.entries(SCENARIOS)) {
  test(`examples/${example} behaves the same on Wedge`, async (t) => {
    const site = exampleSite(example, scenario.vars ? { app: { vars: scenario.vars } } : {})
    await scenario.run(t, await startExampleEdge(t, { dataDir: tempDir(t), sites: [site] }))
  })

  test(`examples/${example} behaves the same on workerd (Cloudflare's runtime)`, { skip: workerdMissing }, async (t) => {
    await scenario.run(t, await startOnWorkerd(t, example, scenario.vars))
  })
}
