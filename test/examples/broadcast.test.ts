import assert from 'node:assert/strict'
import { test } from 'node:test'
import type WebSocket from 'ws'
import { connect, nextMessage } from '../helpers/ws-client.js'
import { Client } from '../runtime/app-harness.js'
import { exampleSite, startExampleEdge, tempDir } from './example-harness.js'

test('the broadcast example sends each message to every other socket on the path, never back to the sender', async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('broadcast')] })
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => Client.open(t, `${edge.wsUrl}/rooms/one`)))
  const other = await Client.open(t, `${edge.wsUrl}/rooms/two`)
  a!.send('from a')
  assert.equal(await b!.next(), 'from a')
  assert.equal(await c!.next(), 'from a')
  b!.send('from b')
  assert.equal(await a!.next(), 'from b')
  assert.equal(await c!.next(), 'from b')
  assert.ok(await a!.silentFor(150), 'a did not get its own message back')
  assert.ok(await b!.silentFor(0), 'b did not get its own message back')
  assert.ok(await other.silentFor(0), 'another path is another room')

  await c!.close()
  a!.send('after c left')
  assert.equal(await b!.next(), 'after c left')
  assert.ok(await a!.silentFor(100))
})

test('the broadcast example keeps binary messages binary and refuses plain HTTP with 426', async (t) => {
  const edge = await startExampleEdge(t, { dataDir: tempDir(t), sites: [exampleSite('broadcast')] })
  const sockets: WebSocket[] = await Promise.all([connect(`${edge.wsUrl}/bin`), connect(`${edge.wsUrl}/bin`)])
  t.after(() => { for (const ws of sockets) ws.terminate() })
  const received = nextMessage(sockets[1]!)
  sockets[0]!.send(Buffer.from([0, 1, 2, 255]))
  const { data, isBinary } = await received
  assert.equal(isBinary, true)
  assert.deepEqual([...data], [0, 1, 2, 255])
  const response = await fetch(`${edge.httpUrl}/bin`)
  assert.equal(response.status, 426)
  assert.match(await response.text(), /Broadcast room/)
})
