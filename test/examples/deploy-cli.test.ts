import assert from 'node:assert/strict'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { runWedge } from '../cli/run-wedge.js'
import { EXAMPLES_DIR, exampleSite, JsonClient, startExampleEdge, tempDir } from './example-harness.js'

interface ChatMessage { type: 'message'; name: string; text: string }
interface Welcome { type: 'welcome'; history: ChatMessage[] }

/** The line of examples/chat that builds a message; the modified copy marks its text with "[v2] ". */
const MESSAGE_LINE = "const chat: ChatMessage = { type: 'message', name: memberOf(ws).name, text, at: Date.now() }"

test('wedge deploy switches a connected chat socket to the new code and wedge rollback back, without closing it', { timeout: 50_000 }, async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('chat')], admin: true })
  const admin = edge.adminUrl!
  const alice = await JsonClient.open(t, `${edge.wsUrl}/room/lobby?name=alice`)
  await alice.until('welcome')
  alice.send({ type: 'message', text: 'before deploy' })
  assert.equal((await alice.until<ChatMessage>('message')).text, 'before deploy')

  const copy = path.join(tempDir(t, 'wedge-chat-v2-'), 'chat')
  cpSync(path.join(EXAMPLES_DIR, 'chat'), copy, { recursive: true })
  const entry = path.join(copy, 'src', 'index.ts')
  const source = readFileSync(entry, 'utf8')
  assert.ok(source.includes(MESSAGE_LINE), 'examples/chat/src/index.ts still has the line this test modifies')
  writeFileSync(entry, source.replace(MESSAGE_LINE, MESSAGE_LINE.replace('text, at', 'text: `[v2] ${text}`, at')))

  const deployed = await runWedge(['deploy', copy, '--site', 'chat', '--admin', admin], { timeoutMs: 30_000 })
  assert.equal(deployed.code, 0, deployed.stderr)
  assert.match(deployed.stdout, /^deployed site chat: version 2 \(bundle .*Durable Objects: ChatRoom\)$/m)

  alice.send({ type: 'message', text: 'after deploy' })
  const v2 = await alice.until<ChatMessage>('message')
  assert.deepEqual([v2.name, v2.text], ['alice', '[v2] after deploy'], 'new code; the name still comes from the attachment')
  const bob = await JsonClient.open(t, `${edge.wsUrl}/room/lobby?name=bob`)
  const history = (await bob.until<Welcome>('welcome')).history.map((message) => message.text)
  assert.deepEqual(history, ['before deploy', '[v2] after deploy'], 'storage written by v1 is read by v2')

  const rolledBack = await runWedge(['rollback', '--site', 'chat', '--admin', admin])
  assert.equal(rolledBack.code, 0, rolledBack.stderr)
  assert.match(rolledBack.stdout, /site chat is now running version 1/)
  alice.send({ type: 'message', text: 'after rollback' })
  const v1 = await alice.until<ChatMessage>('message')
  assert.deepEqual([v1.name, v1.text], ['alice', 'after rollback'], 'the old code again')
  assert.equal((await bob.until<ChatMessage>('message', (message) => message.text === 'after rollback')).name, 'alice', 'bob is in the same room')

  assert.equal(alice.client.ws.readyState, alice.client.ws.OPEN, 'the socket stayed open through deploy and rollback')
  assert.equal(edge.logs.filter((line) => line.event === 'ws_close').length, 0, 'no socket was closed')
})
