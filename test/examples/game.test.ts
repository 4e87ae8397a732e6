import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { sleep } from '../runtime/app-harness.js'
import { exampleSite, JsonClient, startExampleEdge, tempDir, type ExampleEdge } from './example-harness.js'

interface PlayerView { id: string; name: string; color: string; x: number; y: number }
interface Welcome { type: 'welcome'; id: string; arena: { width: number; height: number }; radius: number; tickMs: number }
interface State { type: 'state'; tick: number; players: PlayerView[] }
interface RoomState { tick: number; players: PlayerView[]; alarm: number | null }

async function join(t: TestContext, edge: ExampleEdge, name: string): Promise<{ client: JsonClient; welcome: Welcome }> {
  const client = await JsonClient.open(t, `${edge.wsUrl}/game/room/arena?name=${name}`)
  return { client, welcome: await client.next<Welcome>() }
}

async function roomState(edge: ExampleEdge): Promise<RoomState> {
  const response = await fetch(`${edge.httpUrl}/game/room/arena/state`)
  assert.equal(response.status, 200)
  return (await response.json()) as RoomState
}

function playerIn(state: State, id: string): PlayerView | undefined {
  return state.players.find((player) => player.id === id)
}

test('the game example ticks at about 10/s while players are present; inputs move the player on the server', async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('game', { path_prefix: '/game' })] })
  assert.match(await (await fetch(`${edge.httpUrl}/game/room/arena`)).text(), /<canvas id="arena"/)
  const alice = await join(t, edge, 'alice')
  assert.equal(alice.welcome.tickMs, 100)
  const bob = await join(t, edge, 'bob')
  const first = await alice.client.until<State>('state', (state) => playerIn(state, bob.welcome.id) !== undefined)
  const aliceAt = playerIn(first, alice.welcome.id)!
  const bobAt = playerIn(first, bob.welcome.id)!
  assert.equal(bobAt.name, 'bob')

  // Move away from the nearer wall so the position changes on every tick.
  const dx = aliceAt.x > alice.welcome.arena.width / 2 ? -1 : 1
  alice.client.send({ type: 'input', dx, dy: 0 })
  const started = Date.now()
  const ticks: State[] = []
  while (Date.now() - started < 1000) ticks.push(await bob.client.until<State>('state'))
  const elapsed = Date.now() - started
  const rate = (ticks.length - 1) / (elapsed / 1000)
  assert.ok(ticks.length >= 6 && ticks.length <= 13, `${ticks.length} ticks in ${elapsed} ms, expected about 10`)
  for (let index = 1; index < ticks.length; index++) assert.equal(ticks[index]!.tick, ticks[index - 1]!.tick + 1, 'ticks are numbered in order')
  const last = ticks.at(-1)!
  const moved = playerIn(last, alice.welcome.id)!
  assert.ok((moved.x - aliceAt.x) * dx >= 8 * 4, `alice moved from x=${aliceAt.x} to x=${moved.x} (rate ${rate.toFixed(1)}/s)`)
  assert.equal(moved.y, aliceAt.y, 'no vertical input, no vertical movement')
  assert.deepEqual(playerIn(last, bob.welcome.id), bobAt, 'bob sent no input and stayed put')

  // Releasing the keys stops the player.
  alice.client.send({ type: 'input', dx: 0, dy: 0 })
  const stopped = await alice.client.until<State>('state', (state) => state.tick > last.tick + 1)
  const after = await alice.client.until<State>('state', (state) => state.tick > stopped.tick + 2)
  assert.equal(playerIn(after, alice.welcome.id)!.x, playerIn(stopped, alice.welcome.id)!.x)
})

test('a player who leaves is removed; the alarms stop when the room is empty and start again on the next join', async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('game', { path_prefix: '/game' })] })
  const alice = await join(t, edge, 'alice')
  const bob = await join(t, edge, 'bob')
  await alice.client.until<State>('state', (state) => state.players.length === 2)
  const ticking = await roomState(edge)
  assert.equal(ticking.players.length, 2)
  assert.ok(ticking.alarm !== null && ticking.alarm > Date.now() - 1000, 'an alarm is pending while players are present')

  await bob.client.close()
  assert.equal((await alice.client.until<{ type: 'leave'; id: string }>('leave')).id, bob.welcome.id)
  const next = await alice.client.until<State>('state')
  assert.deepEqual(next.players.map((player) => player.name), ['alice'], 'bob is gone from the state')

  await alice.client.close()
  const deadline = Date.now() + 3000
  let empty = await roomState(edge)
  while (empty.alarm !== null && Date.now() < deadline) {
    await sleep(50)
    empty = await roomState(edge)
  }
  assert.deepEqual(empty.players, [])
  assert.equal(empty.alarm, null, 'no alarm pending once the room is empty')
  await sleep(350)
  assert.equal((await roomState(edge)).tick, empty.tick, 'no tick ran after the last player left')

  const carol = await join(t, edge, 'carol')
  const resumed = await carol.client.until<State>('state')
  assert.deepEqual(resumed.players.map((player) => player.name), ['carol'])
  assert.notEqual((await roomState(edge)).alarm, null, 'ticking again')
})
