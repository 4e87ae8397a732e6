import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { exampleSite, JsonClient, startExampleEdge, tempDir, type ExampleEdge } from './example-harness.js'

interface ChatMessage { type: 'message'; name: string; text: string; at: number }
interface Welcome { type: 'welcome'; name: string; members: string[]; history: ChatMessage[] }
interface Notice { type: 'join' | 'leave'; name: string; at: number }

/** The chat example under /chat, as the default config serves it. */
function startChat(t: TestContext): Promise<ExampleEdge> {
  return startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('chat', { path_prefix: '/chat' })] })
}

async function join(t: TestContext, edge: ExampleEdge, room: string, name: string): Promise<{ client: JsonClient; welcome: Welcome }> {
  const client = await JsonClient.open(t, `${edge.wsUrl}/chat/room/${room}?name=${encodeURIComponent(name)}`)
  return { client, welcome: await client.next<Welcome>() }
}

function texts(messages: ChatMessage[]): string[] {
  return messages.map((message) => `${message.name}: ${message.text}`)
}

test('the chat example serves its page under the path prefix, for the room path and ?room=', async (t) => {
  const edge = await startChat(t)
  for (const path of ['/chat/', '/chat/room/lobby', '/chat?room=kitchen']) {
    const response = await fetch(`${edge.httpUrl}${path}`)
    assert.equal(response.status, 200, path)
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(await response.text(), /<title>Chat<\/title>/)
  }
  assert.equal((await fetch(`${edge.httpUrl}/chat/favicon.ico`)).status, 404)
  await assert.rejects(JsonClient.open(t, `${edge.wsUrl}/chat/room/lobby`), { status: 400 }, 'a socket needs a name')
  await assert.rejects(JsonClient.open(t, `${edge.wsUrl}/chat/room/no%20spaces?name=x`), { status: 400 }, 'room names are checked')
})

test('two clients chat; a later joiner gets the history from storage; leaving is announced', async (t) => {
  const edge = await startChat(t)
  const alice = await join(t, edge, 'lobby', 'alice')
  assert.deepEqual(alice.welcome, { type: 'welcome', name: 'alice', members: ['alice'], history: [] })
  const bob = await join(t, edge, 'lobby', 'bob')
  assert.deepEqual(bob.welcome.members.sort(), ['alice', 'bob'])
  assert.deepEqual(bob.welcome.history, [])
  const joined = await alice.client.next<Notice>()
  assert.equal(joined.type, 'join')
  assert.equal(joined.name, 'bob')

  alice.client.send({ type: 'message', text: 'hello bob' })
  for (const client of [alice.client, bob.client]) {
    const message = await client.next<ChatMessage>()
    assert.equal(message.type, 'message')
    assert.equal(`${message.name}: ${message.text}`, 'alice: hello bob', 'the name comes from the socket attachment')
    assert.ok(Math.abs(message.at - Date.now()) < 5000)
  }
  bob.client.send({ type: 'message', text: '  hi alice  ' })
  assert.equal((await alice.client.until<ChatMessage>('message')).text, 'hi alice', 'text is trimmed')
  assert.equal((await bob.client.until<ChatMessage>('message')).text, 'hi alice')

  // Another room hears nothing of this one, and has its own history.
  const carol = await join(t, edge, 'kitchen', 'carol')
  assert.deepEqual(carol.welcome.history, [])
  assert.ok(await alice.client.silentFor(150), 'no join notice from another room')

  const dave = await join(t, edge, 'lobby', 'dave')
  assert.deepEqual(texts(dave.welcome.history), ['alice: hello bob', 'bob: hi alice'])
  assert.deepEqual(dave.welcome.members.sort(), ['alice', 'bob', 'dave'])

  await bob.client.close()
  for (const client of [alice.client, dave.client]) {
    const left = await client.until<Notice>('leave')
    assert.equal(left.name, 'bob')
  }
  alice.client.send({ type: 'message', text: 'bye bob' })
  assert.equal((await dave.client.until<ChatMessage>('message')).text, 'bye bob')
  assert.ok(await carol.client.silentFor(100))
})

test('a room keeps the last 50 messages; malformed input gets an error reply', async (t) => {
  const edge = await startChat(t)
  const alice = await join(t, edge, 'busy', 'alice')
  alice.client.send('not json')
  assert.equal((await alice.client.next<{ type: string }>()).type, 'error')
  for (let index = 1; index <= 55; index++) alice.client.send({ type: 'message', text: `message ${index}` })
  await alice.client.until<ChatMessage>('message', (message) => message.text === 'message 55')
  const bob = await join(t, edge, 'busy', 'bob')
  assert.equal(bob.welcome.history.length, 50)
  assert.equal(bob.welcome.history[0]!.text, 'message 6')
  assert.equal(bob.welcome.history.at(-1)!.text, 'message 55')
})

test('the keep-alive ping is answered by the edge without waking the room', async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('chat', { app: { hibernate_after: '100ms' } })] })
  const alice = await JsonClient.open(t, `${edge.wsUrl}/room/quiet?name=alice`)
  await alice.next<Welcome>()
  const host = edge.edge.apps.host('chat')!
  const deadline = Date.now() + 5000
  while (host.stats().liveObjects > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(host.stats().liveObjects, 0, 'the idle room hibernated')
  alice.send({ type: 'ping' })
  assert.deepEqual(await alice.next(), { type: 'pong' })
  assert.equal(host.stats().liveObjects, 0, 'the room stayed asleep')
  alice.send({ type: 'message', text: 'after a nap' })
  const message = await alice.next<ChatMessage>()
  assert.equal(`${message.name}: ${message.text}`, 'alice: after a nap', 'the attachment survived hibernation')
})
