import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import WebSocket from 'ws'
import { closed, connect, nextMessage } from '../helpers/ws-client.js'
import { startOrigin } from '../helpers/ws-origin.js'
import { EdgeProcess } from './edge-process.js'
import { runWedge } from './run-wedge.js'

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wedge-start-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Fails with `what` instead of hanging until the test's timeout. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms}ms`)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function status(port: number, path = '/'): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) })
  await response.arrayBuffer()
  return response.status
}

// Each test runs real processes; bound each one so a hang fails the test instead of the run.
const BOUNDED = { timeout: 20_000 }

describe('wedge start', () => {
  it('runs the built-in config on the --listen address, writes its pidfile and stops on SIGTERM with status 0', BOUNDED, async () => {
    const cwd = tempDir()
    const edge = new EdgeProcess(['--listen', '127.0.0.1:0'], cwd)
    const port = await edge.port()
    const welcome = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })
    assert.equal(welcome.status, 200)
    assert.match(await welcome.text(), /Wedge .* is running[\s\S]*href="\/chat\/room\/lobby"/, 'the welcome page links to the chat')
    const ws = await within(connect(`ws://127.0.0.1:${port}/echo`), 3000, 'WebSocket handshake at /echo')
    const reply = nextMessage(ws)
    ws.send('hello edge')
    assert.equal((await within(reply, 3000, 'echo reply from /echo')).data.toString(), 'hello edge')
    const closing = closed(ws)
    ws.close()
    await within(closing, 3000, 'close handshake with /echo')
    // The chat example (examples/chat, found relative to the package) runs at /chat/.
    assert.equal(await status(port, '/chat/room/lobby'), 200)
    // The room's welcome can arrive with the handshake: listen before the socket opens.
    const chat = new WebSocket(`ws://127.0.0.1:${port}/chat/room/lobby?name=newcomer`)
    after(() => chat.terminate())
    const firstMessage = nextMessage(chat)
    const joined = JSON.parse((await within(firstMessage, 5000, 'chat welcome')).data.toString()) as { type: string; name: string }
    assert.deepEqual([joined.type, joined.name], ['welcome', 'newcomer'])
    const chatClosed = closed(chat)
    chat.close()
    await within(chatClosed, 3000, 'close handshake with the chat')
    const pidfile = join(cwd, '.wedge', 'wedge.pid')
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(edge.child.pid))
    edge.child.kill('SIGTERM')
    assert.deepEqual(await edge.exited, { code: 0, signal: null })
    assert.equal(existsSync(pidfile), false, 'the pidfile is removed on exit')
  })

  it('reloads its config file on SIGHUP and keeps the old config when the new one is invalid', BOUNDED, async () => {
    const dir = tempDir()
    const file = join(dir, 'wedge.yaml')
    writeFileSync(file, 'listen: 127.0.0.1:0\nsites:\n  - { name: site, builtin: welcome }\n')
    const edge = new EdgeProcess(['--config', file], dir)
    const port = await edge.port()
    assert.equal(await status(port), 200, 'the welcome page')

    writeFileSync(file, 'listen: 127.0.0.1:0\nsites:\n  - { name: site, builtin: welcom }\n')
    let from = edge.logs.length
    edge.child.kill('SIGHUP')
    const refused = await edge.waitForLog((line) => line.msg.startsWith('reload refused'), { from })
    assert.match(refused.msg, /sites\[0\]\.builtin \(line 3:19\): expected one of "welcome", "echo" \(did you mean "welcome"\?\), got "welcom"/)
    assert.equal(await status(port), 200, 'still the old config')

    writeFileSync(file, 'listen: 127.0.0.1:0\nsites:\n  - { name: site, builtin: echo }\n')
    from = edge.logs.length
    const reload = await runWedge(['reload', '--config', file], { cwd: dir })
    assert.equal(reload.code, 0, reload.stderr)
    assert.match(reload.stdout, new RegExp(`sent SIGHUP to the edge \\(pid ${edge.child.pid}\\)`))
    await edge.waitForLog((line) => line.msg === 'config reloaded', { from })
    assert.equal(await status(port), 426, 'the echo builtin answers plain HTTP with 426')

    edge.child.kill('SIGTERM')
    assert.equal((await edge.exited).code, 0)
  })

  it('drains for server.drain_timeout on SIGTERM, then closes open WebSockets with 1001 and exits 0', BOUNDED, async () => {
    const origin = await startOrigin()
    after(() => origin.close())
    const dir = tempDir()
    const file = join(dir, 'wedge.yaml')
    writeFileSync(file, `listen: 127.0.0.1:0\nserver: { drain_timeout: 400ms }\nsites:\n  - { name: app, origins: ["${origin.url}"] }\n`)
    const edge = new EdgeProcess(['--config', file], dir)
    const ws = await connect(`ws://127.0.0.1:${await edge.port()}/`)
    const reply = nextMessage(ws)
    ws.send('through the edge')
    assert.equal((await within(reply, 3000, 'reply through the edge')).data.toString(), 'through the edge')
    const closing = closed(ws)
    const started = Date.now()
    edge.child.kill('SIGTERM')
    const stop = await edge.waitForLog((line) => line.msg === 'stop signal received')
    assert.equal(stop['drain_timeout_ms'], 400)
    assert.equal((await within(closing, 5000, 'close from the stopping edge')).code, 1001)
    assert.ok(Date.now() - started >= 350, `closed after ${Date.now() - started}ms, before the drain time`)
    assert.deepEqual(await edge.exited, { code: 0, signal: null })
  })

  it('exits 1 when its address is already in use', BOUNDED, async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    after(() => blocker.close())
    const port = (blocker.address() as { port: number }).port
    const edge = new EdgeProcess(['--listen', `127.0.0.1:${port}`], tempDir())
    const exit = await edge.exited
    assert.equal(exit.code, 1)
    assert.ok(edge.logs.some((line) => line.msg.startsWith('cannot start') && /EADDRINUSE/.test(line.msg)), JSON.stringify(edge.logs))
  })

  it('refuses to start a second edge on the same data_dir', BOUNDED, async () => {
    const dir = tempDir()
    const first = new EdgeProcess(['--listen', '127.0.0.1:0'], dir)
    await first.port()
    const second = new EdgeProcess(['--listen', '127.0.0.1:0'], dir)
    assert.equal((await second.exited).code, 1)
    assert.ok(second.logs.some((line) => line.msg.includes(`another edge is running with this data_dir (pid ${first.child.pid}`)), JSON.stringify(second.logs))
    first.child.kill('SIGTERM')
    assert.equal((await first.exited).code, 0)
  })
})
