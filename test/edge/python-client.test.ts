import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { startEdge, waitFor, type RunningEdge } from '../helpers/edge-harness.js'
import { startOrigin, type TestOrigin } from '../helpers/ws-origin.js'
import type { ClosedEvent } from '../helpers/ws-client.js'

/** The Debian python with its packaged `websockets` (not pyenv's python3). */
const PYTHON = '/usr/bin/python3'

function pythonWebsocketsMissing(): string | false {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8', timeout: 10_000 })
  if (probe.error) return `${PYTHON} cannot run: ${probe.error.message}`
  if (probe.status !== 0) return `python "websockets" is not importable by ${PYTHON} (apt-get install python3-websockets): ${probe.stderr.trim().split('\n').at(-1)}`
  return false
}

/**
 * A Python client session, printed as one JSON line: a text and a binary echo with a
 * negotiated subprotocol, a client close with 4001, then a second connection that the
 * origin closes with 4002. Works with websockets 10 to 13 (legacy client API).
 */
const CLIENT = String.raw`
import asyncio, json, sys
import websockets

async def session(url):
    out = {}
    ws = await websockets.connect(url, subprotocols=['chat.v1', 'chat.v2'])
    out['subprotocol'] = ws.subprotocol
    await ws.send('héllo text')
    out['text'] = await ws.recv()
    await ws.send(bytes([0, 1, 2, 254, 255]))
    reply = await ws.recv()
    out['binary'] = list(reply) if isinstance(reply, bytes) else reply
    await ws.close(code=4001, reason='client says bye')
    out['client_close'] = [ws.close_code, ws.close_reason]

    ws = await websockets.connect(url)
    await ws.send('close-me')
    try:
        await ws.recv()
        out['origin_close'] = 'no close'
    except websockets.exceptions.ConnectionClosed:
        out['origin_close'] = [ws.close_code, ws.close_reason]
    print(json.dumps(out))

asyncio.run(asyncio.wait_for(session(sys.argv[1]), 15))
`

const missing = pythonWebsocketsMissing()

describe('Python websockets client through the edge', { timeout: 50_000, skip: missing ? `skipped: ${missing}` : false }, () => {
  let origin: TestOrigin
  let running: RunningEdge
  const closes: ClosedEvent[] = []

  before(async () => {
    origin = await startOrigin({
      name: 'py-origin',
      handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
      onConnection: (ws) => ws.on('close', (code: number, reason: Buffer) => closes.push({ code, reason: reason.toString() })),
      onMessage: (ws, data, isBinary) => {
        if (!isBinary && data.toString() === 'close-me') ws.close(4002, 'origin says bye')
        else ws.send(data, { binary: isBinary })
      },
    })
    running = await startEdge({ sites: [{ name: 'py', origins: [origin.url] }] })
  })

  after(async () => {
    await running?.stop()
    await origin?.close()
  })

  test('echoes text and binary, negotiates a subprotocol, and carries close codes both ways', async () => {
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', CLIENT, `${running.wsUrl}/py`], { timeout: 30_000 })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>
    assert.equal(result.subprotocol, 'chat.v2')
    assert.equal(origin.handshakes[0]?.headers['sec-websocket-protocol'], 'chat.v1, chat.v2')
    assert.equal(result.text, 'héllo text')
    assert.deepEqual(result.binary, [0, 1, 2, 254, 255])
    assert.deepEqual(result.client_close, [4001, 'client says bye'])
    assert.deepEqual(result.origin_close, [4002, 'origin says bye'])
    // The client's 4001 reached the origin with its reason.
    await waitFor(() => closes.length >= 2, 3000, 'the origin to see both closes')
    assert.deepEqual(closes[0], { code: 4001, reason: 'client says bye' })
    assert.equal(closes[1]?.code, 4002)
  })
})
