import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { AppBuild } from '../../src/apps/bundle.js'
import { UnknownVersionError, VersionStore } from '../../src/apps/version-store.js'

const root = mkdtempSync(join(tmpdir(), 'wedge-versions-'))
after(() => rmSync(root, { recursive: true, force: true }))

let storeCount = 0
const freshDir = () => join(root, `data-${++storeCount}`)

function sampleBuild(label: string): AppBuild {
  return {
    code: `export default { fetch() { return new Response(${JSON.stringify(label)}) } }\n`,
    modules: {
      'index.html': { type: 'text', value: `<p>${label}</p>` },
      'assets/logo.bin': { type: 'data', value: new Uint8Array([0, 255, label.length]) },
    },
    durableObjects: [{ binding: 'ROOMS', className: 'Room' }],
    vars: { LABEL: label },
  }
}

describe('version store', () => {
  it('saves builds as numbered versions and loads them back byte for byte', async () => {
    const dataDir = freshDir()
    const store = new VersionStore(dataDir)
    assert.equal(await store.save('chat', sampleBuild('one')), 1)
    assert.equal(await store.save('chat', sampleBuild('two')), 2)
    assert.deepEqual(await store.load('chat', 1), sampleBuild('one'))
    assert.deepEqual(await store.load('chat', 2), sampleBuild('two'))
    const dir = join(dataDir, 'apps/chat/versions/2')
    assert.deepEqual(readdirSync(dir).sort(), ['bundle.js', 'manifest.json', 'modules', 'modules.json'])
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
    assert.equal(manifest.version, 2)
    assert.match(manifest.sourceHash, /^sha256:[0-9a-f]{64}$/)
    assert.ok(Number.isFinite(Date.parse(manifest.createdAt)))
  })

  it('gives equal builds equal source hashes and different builds different ones', async () => {
    const store = new VersionStore(freshDir())
    const a = await store.save('s', sampleBuild('same'))
    const b = await store.save('s', sampleBuild('same'))
    const c = await store.save('s', sampleBuild('other'))
    const [ha, hb, hc] = await Promise.all([a, b, c].map(async (version) => (await store.manifest('s', version)).sourceHash))
    assert.equal(ha, hb)
    assert.notEqual(ha, hc)
  })

  it('keeps current in a file replaced atomically, and lists versions newest first', async () => {
    const dataDir = freshDir()
    const store = new VersionStore(dataDir)
    assert.equal(await store.current('chat'), undefined)
    for (const label of ['a', 'b', 'c']) await store.save('chat', sampleBuild(label))
    assert.equal(await store.current('chat'), undefined, 'save does not switch the current version')
    await store.setCurrent('chat', 2)
    assert.equal(await store.current('chat'), 2)
    assert.equal(readFileSync(join(dataDir, 'apps/chat/current'), 'utf8'), '2\n')
    assert.deepEqual(readdirSync(join(dataDir, 'apps/chat')).filter((name) => name.includes('.tmp')), [], 'no temporary left behind')
    assert.deepEqual((await store.list('chat')).map(({ version, current }) => [version, current]), [[3, false], [2, true], [1, false]])
    await assert.rejects(store.setCurrent('chat', 9), UnknownVersionError)
    assert.equal(await store.current('chat'), 2, 'a refused setCurrent leaves current alone')
  })

  it('never shows a half-written current file to a concurrent reader', async () => {
    const store = new VersionStore(freshDir())
    for (let index = 0; index < 2; index++) await store.save('chat', sampleBuild(String(index)))
    await store.setCurrent('chat', 1)
    let writing = true
    const writes = (async () => {
      for (let round = 0; round < 100; round++) await store.setCurrent('chat', (round % 2) + 1)
      writing = false
    })()
    let reads = 0
    while (writing && reads < 10_000) {
      const current = await store.current('chat')
      assert.ok(current === 1 || current === 2, `read ${current}`)
      reads++
    }
    await writes
    assert.ok(reads > 0)
  })

  it('rolls back to the newest version older than the current one, step by step', async () => {
    const store = new VersionStore(freshDir())
    for (const label of ['a', 'b', 'c', 'd']) await store.save('chat', sampleBuild(label))
    assert.equal(await store.previous('chat'), undefined, 'nothing is current yet')
    await store.setCurrent('chat', 4)
    const order: number[] = []
    for (let previous = await store.previous('chat'); previous !== undefined; previous = await store.previous('chat')) {
      await store.setCurrent('chat', previous)
      order.push(previous)
    }
    assert.deepEqual(order, [3, 2, 1])
  })

  it('keeps the newest versions and the current one when pruning', async () => {
    const store = new VersionStore(freshDir(), { keep: 3 })
    await store.save('chat', sampleBuild('first'))
    await store.setCurrent('chat', 1)
    for (let index = 2; index <= 6; index++) await store.save('chat', sampleBuild(String(index)))
    assert.deepEqual((await store.list('chat')).map((info) => info.version), [6, 5, 4, 1])
    await assert.rejects(store.load('chat', 2), UnknownVersionError)
    assert.deepEqual(await store.load('chat', 1), sampleBuild('first'))
  })

  it('keeps 20 versions by default', async () => {
    const store = new VersionStore(freshDir())
    const tiny: AppBuild = { code: 'export default {}', modules: {}, durableObjects: [], vars: {} }
    for (let index = 0; index < 22; index++) await store.save('chat', tiny)
    const versions = (await store.list('chat')).map((info) => info.version)
    assert.equal(versions.length, 20)
    assert.equal(versions.at(-1), 3)
  })

  it('never reuses a version number, even after the newest is discarded', async () => {
    const store = new VersionStore(freshDir())
    await store.save('chat', sampleBuild('a'))
    await store.setCurrent('chat', 1)
    assert.equal(await store.save('chat', sampleBuild('refused')), 2)
    await store.discard('chat', 2)
    await assert.rejects(store.discard('chat', 1), /is current and cannot be discarded/)
    assert.equal(await store.save('chat', sampleBuild('b')), 3)
    assert.deepEqual((await store.list('chat')).map((info) => info.version), [3, 1])
  })

  it('numbers concurrent saves of one site without collisions, from two store instances too', async () => {
    const dataDir = freshDir()
    const [first, second] = [new VersionStore(dataDir), new VersionStore(dataDir)]
    const versions = await Promise.all(Array.from({ length: 8 }, (_, index) => (index % 2 ? first : second).save('chat', sampleBuild(String(index)))))
    assert.deepEqual([...versions].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8])
    for (const [index, version] of versions.entries()) assert.deepEqual(await first.load('chat', version), sampleBuild(String(index)))
  })

  it('lists sites with versions and refuses site names that are not plain names', async () => {
    const dataDir = freshDir()
    const store = new VersionStore(dataDir)
    assert.deepEqual(await store.sites(), [])
    await store.save('zeta', sampleBuild('z'))
    await store.save('alpha', sampleBuild('a'))
    writeFileSync(join(dataDir, 'apps', 'stray-file'), '')
    assert.deepEqual(await store.sites(), ['alpha', 'zeta'])
    await assert.rejects(store.save('..', sampleBuild('x')), /invalid site name "\.\."/)
    await assert.rejects(store.current('a/b'), /invalid site name/)
    assert.ok(!existsSync(join(root, 'versions')))
  })
})
