import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startProbeOrigin, type ProbeOrigin } from '../../src/probe/origin/server.js'
import { ProgressDisplay } from '../../src/probe/progress.js'
import { startHeadRewriteProxy, type Proxy } from './broken-proxies.js'

const CLI = new URL('../../src/probe/cli.js', import.meta.url).href
const SCRIPT = `import { runProbeCli, runProbeOriginCli } from ${JSON.stringify(CLI)}
const [which, ...args] = process.argv.slice(1)
process.exitCode = await (which === 'origin' ? runProbeOriginCli(args) : runProbeCli(args))`

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the real CLI entry point in a child process so exit codes and stdio are the real ones. */
function cli(which: 'probe' | 'origin', args: string[]): Run & { done: Promise<Run>; kill(): void; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, which, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const run = { code: null as number | null, stdout: '', stderr: '' }
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  child.stdout.on('data', (chunk) => (run.stdout += chunk))
  child.stderr.on('data', (chunk) => (run.stderr += chunk))
  const firstLine = new Promise<string>((resolve) => child.stdout.on('data', () => run.stdout.includes('\n') && resolve(run.stdout.split('\n')[0]!)))
  const done = new Promise<Run>((resolve) => child.on('close', (code) => {
    clearTimeout(timer)
    run.code = code
    resolve(run)
  }))
  return Object.assign(run, { done, firstLine, kill: () => child.kill('SIGTERM') })
}

const probe = (args: string[]): Promise<Run> => cli('probe', args).done

describe('wedge probe command line', () => {
  let origin: ProbeOrigin
  let stripper: Proxy
  let dir: string
  before(async () => {
    origin = await startProbeOrigin({})
    stripper = await startHeadRewriteProxy(origin.url, (lines) => lines.filter((line) => !/^sec-websocket-protocol:/i.test(line)))
    dir = await mkdtemp(join(tmpdir(), 'wedge-probe-'))
  })
  after(async () => {
    await stripper.close()
    await origin.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('exits 0 when required checks pass, prints the table, plain progress lines and writes JSON', async () => {
    const file = join(dir, 'direct.json')
    const run = await probe([origin.url, '--only', 'handshake,subprotocol', '--only', 'close', '--json', file])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^handshake\s+pass\*\s+\S+ ms\s+5 × HTTP 101/m)
    assert.match(run.stdout, /3 pass, 0 fail, 0 n\/a \(\* = required\): all required checks passed/)
    assert.match(run.stderr, /^probe: \[1\/3\] handshake pass /m)
    const saved = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(saved.format, 'wedge-probe/1')
    assert.equal(saved.ok, true)
    assert.deepEqual(saved.checks.map((check: { id: string }) => check.id), ['handshake', 'subprotocol', 'close'])
  })

  test('exits 1 when a required check fails, and 0 when --required leaves it out', async () => {
    const failing = await probe([stripper.url, '--only', 'handshake,subprotocol', '--quiet', '--json', join(dir, 'stripped.json')])
    assert.equal(failing.code, 1)
    assert.match(failing.stdout, /required check failed: subprotocol/)
    assert.equal(failing.stderr, '', '--quiet hides progress')
    const relaxed = await probe([stripper.url, '--only', 'handshake,subprotocol', '--required', 'handshake', '--quiet'])
    assert.equal(relaxed.code, 0)
    assert.match(relaxed.stdout, /^subprotocol\s+FAIL\s/m)
  })

  test('exits 2 on usage errors', async () => {
    for (const args of [[origin.url, '--only', 'nope'], [], [origin.url, '--budget', '5'], ['http://example.test/'], [origin.url, '--bogus'], ['--compare', join(dir, 'missing.json')]]) {
      const run = await probe(args)
      assert.equal(run.code, 2, `args ${JSON.stringify(args)}`)
      assert.match(run.stderr, /^wedge probe: .+\n\nusage: wedge probe/)
    }
  })

  test('--compare puts saved results side by side, one column per path', async () => {
    const run = await probe(['--compare', join(dir, 'direct.json'), join(dir, 'stripped.json')])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`^\\[1\\] ${origin.url}/ `, 'm'))
    assert.match(run.stdout, new RegExp(`^\\[2\\] ${stripper.url}/ `, 'm'))
    assert.match(run.stdout, /^subprotocol\s+pass 'wedge-probe\.v2'\s+FAIL lost$/m)
    assert.match(run.stdout, /^close\s+pass both ways\s+—$/m)
    assert.match(run.stdout, /^required\s+ok\s+FAIL$/m)
  })

  test('probe-origin prints its address, serves /healthz and exits 0 on SIGTERM', async () => {
    const server = cli('origin', ['--listen', '127.0.0.1:0'])
    const line = await server.firstLine
    const match = /listening on (ws:\/\/127\.0\.0\.1:\d+)/.exec(line)
    assert.ok(match, line)
    const health = await fetch(`${match[1]!.replace('ws:', 'http:')}/healthz`)
    assert.equal(health.status, 200)
    server.kill()
    assert.equal((await server.done).code, 0)
  })

  test('on a TTY the progress display redraws one status line and prints finished checks', async () => {
    let written = ''
    const stream = { isTTY: true, columns: 60, write: (text: string) => (written += text) } as unknown as NodeJS.WriteStream
    const display = new ProgressDisplay(stream)
    display.onProgress({ type: 'start', id: 'echo', title: 'Echo', index: 0, total: 2 })
    display.onProgress({ type: 'progress', id: 'echo', text: 'binary 4 MiB' })
    await new Promise((resolve) => setTimeout(resolve, 300))
    display.onProgress({ type: 'end', index: 1, total: 2, result: { id: 'echo', title: 'Echo', required: true, status: 'pass', summary: '≤ 16 MiB', evidence: '', durationMs: 5 } })
    display.stop()
    assert.match(written, /\r\x1b\[K\[0\/2\] [\d.]+ m?s echo: binary 4 MiB/)
    assert.match(written, /\r\x1b\[K\[1\/2\] echo pass \(5\.0 ms\) ≤ 16 MiB\n/)
  })
})
