import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RunnerDriver, manifest, request, text, type AppRef } from './runner-driver.js'

const ATTACKS = `
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname.slice(1)
    switch (path) {
      case 'ok': return new Response('evil still works')
      case 'globals': {
        let constructorEscape = ''
        try { constructorEscape = String(this.constructor.constructor('return process')()) } catch (e) { constructorEscape = e.constructor.name }
        let dynamicImport = ''
        try { await import('node:fs'); dynamicImport = 'imported' } catch (e) { dynamicImport = 'refused: ' + e.message }
        let wasm = ''
        try { new WebAssembly.Memory({ initial: 1 }); wasm = 'allocated' } catch (e) { wasm = e.constructor.name }
        return Response.json({
          process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer,
          WebAssembly: typeof WebAssembly, SharedArrayBuffer: typeof SharedArrayBuffer, Atomics: typeof Atomics,
          constructorEscape, dynamicImport, wasm, globalProcess: typeof globalThis.process,
        })
      }
      case 'spin': for (;;) {}
      case 'spin-promise': await null; for (;;) {}
      case 'spin-timer': setTimeout(() => { for (;;) {} }, 10); return new Response('armed')
      case 'grow-arrays': { const a = []; for (;;) a.push(new Array(1e5).fill(1)) }
      case 'huge-buffer': new ArrayBuffer(2 ** 31); return new Response('allocated')
      case 'many-buffers': { const a = []; for (;;) a.push(new Uint8Array(1 << 20)) }
      case 'string-doubling': { let s = 'x'; for (;;) s += s }
      case 'fill': new Array(1e8).fill(0); return new Response('filled')
      case 'map-growth': { const m = new Map(); for (let i = 0; ; i++) m.set(i, i) }
    }
    return new Response('unknown', { status: 404 })
  },
}
`

const evil: AppRef = { appId: 'evil', version: 1 }
const good: AppRef = { appId: 'good', version: 1 }
const LIMITS = { cpuMs: 100, memoryMb: 64 }

async function loadBoth(runner: RunnerDriver, limits = LIMITS): Promise<void> {
  assert.equal((await runner.load(manifest(ATTACKS, { ...evil, limits }))).type, 'loaded')
  assert.equal((await runner.load(manifest('export default { fetch() { return new Response("good") } }', { ...good, limits: LIMITS }))).type, 'loaded')
}

/** The runner answers pings, the other app serves, and the attacked app serves again. */
async function assertHealthy(runner: RunnerDriver): Promise<void> {
  assert.ok((await runner.ping(1000)) < 1000)
  assert.equal(text((await runner.fetch(good, request('https://good.test/'))).response), 'good')
  assert.equal(text((await runner.fetch(evil, request('https://evil.test/ok'))).response), 'evil still works')
}

describe('runner isolation: nothing of Node is reachable', () => {
  let runner: RunnerDriver
  before(async () => {
    runner = new RunnerDriver()
    await loadBoth(runner)
  })
  after(() => runner.close())

  test('process, require, node: imports, Function-constructor escapes and WebAssembly are refused', async () => {
    const done = await runner.fetch(evil, request('https://evil.test/globals'))
    assert.deepEqual(JSON.parse(text(done.response)), {
      process: 'undefined', require: 'undefined', module: 'undefined', Buffer: 'undefined',
      WebAssembly: 'undefined', SharedArrayBuffer: 'undefined', Atomics: 'undefined',
      constructorEscape: 'ReferenceError', dynamicImport: 'refused: Not supported', wasm: 'ReferenceError', globalProcess: 'undefined',
    })
    await assertHealthy(runner)
  })

  test('allowWasm keeps WebAssembly for apps that opt in', async () => {
    const wasm = { appId: 'wasm', version: 1 }
    assert.equal((await runner.load(manifest(ATTACKS, { ...wasm, allowWasm: true, limits: LIMITS }))).type, 'loaded')
    const body = JSON.parse(text((await runner.fetch(wasm, request('https://w.test/globals'))).response))
    assert.equal(body.WebAssembly, 'object')
    assert.equal(body.wasm, 'allocated')
  })
})

describe('runner isolation: CPU limit', () => {
  let runner: RunnerDriver
  before(async () => {
    runner = new RunnerDriver()
    await loadBoth(runner)
  })
  after(() => runner.close())

  for (const path of ['spin', 'spin-promise']) {
    test(`for(;;){} (${path}) is killed: event-done with limit cpu, isolate restarted`, async () => {
      const restarts = runner.received.filter((e) => e.type === 'isolate-restarted').length
      const started = Date.now()
      const done = await runner.fetch(evil, request(`https://evil.test/${path}`))
      assert.equal(done.limit, 'cpu')
      assert.match(done.error ?? '', /CPU limit/)
      assert.ok(Date.now() - started < 2000, 'killed within the limit plus slack')
      await runner.waitFor((e) => e.type === 'isolate-restarted' && runner.received.filter((x) => x.type === 'isolate-restarted').length > restarts)
      await assertHealthy(runner)
    })
  }

  test('for(;;){} inside a setTimeout callback is killed and the isolate restarted', async () => {
    const restarts = runner.received.filter((e) => e.type === 'isolate-restarted').length
    const done = await runner.fetch(evil, request('https://evil.test/spin-timer'))
    assert.equal(text(done.response), 'armed')
    const restarted = await runner.waitFor((e) => e.type === 'isolate-restarted' && runner.received.filter((x) => x.type === 'isolate-restarted').length > restarts, 3000)
    assert.match(restarted.type === 'isolate-restarted' ? restarted.reason : '', /CPU limit/)
    await assertHealthy(runner)
  })
})

describe('runner isolation: memory limit', () => {
  let runner: RunnerDriver
  before(async () => {
    runner = new RunnerDriver()
    // A CPU limit long enough that memory is what stops the allocation loops, even on a busy machine.
    await loadBoth(runner, { cpuMs: 3000, memoryMb: 64 })
  })
  after(() => runner.close())

  test('growing arrays hit the memory limit: event-done with limit memory', async () => {
    const done = await runner.fetch(evil, request('https://evil.test/grow-arrays'), undefined, 10_000)
    assert.equal(done.limit, 'memory')
    await runner.waitFor((e) => e.type === 'isolate-restarted' && /memory/.test(e.reason))
    await assertHealthy(runner)
  })

  for (const path of ['huge-buffer', 'many-buffers', 'string-doubling']) {
    test(`${path} is refused inside the app (RangeError) or killed`, async () => {
      const done = await runner.fetch(evil, request(`https://evil.test/${path}`), undefined, 10_000)
      assert.equal(done.response, undefined)
      assert.ok(done.limit !== undefined || /RangeError/.test(done.error ?? ''), `unexpected outcome: ${done.error}`)
      await assertHealthy(runner)
    })
  }
})

describe('runner isolation: allocation patterns that can wedge V8', () => {
  for (const path of ['fill', 'map-growth']) {
    test(`${path}: the runner answers again or exits within a bounded time, never stays silent and alive`, async () => {
      const runner = new RunnerDriver()
      try {
        await loadBoth(runner)
        let exited = false
        void runner.exited.then(() => { exited = true })
        void runner.fetch(evil, request(`https://evil.test/${path}`), undefined, 20_000).catch(() => {})
        const started = Date.now()
        let silentSince: number | undefined
        let answeredAfterAttack = false
        while (!exited && Date.now() - started < 12_000) {
          try {
            await runner.ping(500)
            silentSince = undefined
            if (Date.now() - started > 300) answeredAfterAttack = true
            if (answeredAfterAttack && runner.received.some((e) => e.type === 'event-done')) break
          } catch {
            silentSince ??= Date.now()
            assert.ok(exited || Date.now() - silentSince < 6_000, 'the runner stayed alive without answering for more than 6 s')
          }
        }
        assert.ok(exited || answeredAfterAttack, 'the runner neither answered nor exited')
        if (!exited) await assertHealthy(runner)
      } finally {
        await runner.close()
      }
    })
  }
})
