import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { leafCert, testCa, type LeafCert } from '../helpers/tls-certs.js'
import { configDir, issuesOf, loadText, messageAt } from './config-files.js'

const dir = configDir()
let good: LeafCert
let other: LeafCert

before(async () => {
  good = await leafCert(['localhost'])
  other = await leafCert(['other.test'])
  mkdirSync(join(dir, 'certs'), { recursive: true })
  copyFileSync(good.certPath, join(dir, 'certs/edge.pem'))
  copyFileSync(good.keyPath, join(dir, 'certs/edge.key'))
  copyFileSync((await testCa()).certPath, join(dir, 'certs/ca.pem'))
})

describe('file paths in the config', () => {
  it('resolves relative paths against the config file\'s directory, not the working directory', async () => {
    const config = await loadText(dir, [
      'data_dir: run/wedge',
      'listeners:',
      '  - address: 0',
      '    tls: { cert: certs/edge.pem, key: ./certs/edge.key }',
      'sites:',
      '  - name: app',
      '    origins: ["https://127.0.0.1:9443"]',
      '    origin_tls: { ca: certs/ca.pem }',
      '',
    ].join('\n'))
    assert.notEqual(process.cwd(), dir)
    assert.equal(config.data_dir, join(dir, 'run/wedge'))
    assert.deepEqual(config.listeners[0]!.tls, { cert: join(dir, 'certs/edge.pem'), key: join(dir, 'certs/edge.key') })
    assert.equal(config.sites[0]!.origin_tls.ca, join(dir, 'certs/ca.pem'))
  })

  it('keeps absolute paths as they are', async () => {
    const config = await loadText(dir, `listeners:\n  - address: 0\n    tls: { cert: "${good.certPath}", key: "${good.keyPath}" }\nsites:\n  - { name: a, builtin: welcome }\n`)
    assert.deepEqual(config.listeners[0]!.tls, { cert: good.certPath, key: good.keyPath })
  })

  it('refuses a TLS file that does not exist, with its resolved path', async () => {
    const result = await issuesOf(dir, 'listeners:\n  - address: 0\n    tls: { cert: certs/missing.pem, key: certs/edge.key }\nsites:\n  - { name: a, builtin: welcome }\n')
    assert.equal(messageAt(result, 'listeners[0].tls.cert'), `cannot read "${join(dir, 'certs/missing.pem')}": file not found`)
  })

  it('refuses a certificate with a key that is not its own', async () => {
    const result = await issuesOf(dir, `sites:\n  - name: a\n    builtin: welcome\n    tls: { cert: "${good.certPath}", key: "${other.keyPath}" }\n`)
    assert.match(messageAt(result, 'sites[0].tls'), /^certificate and key cannot be used together \(expected PEM files of a matching pair\): .*key values mismatch/)
  })

  it('refuses a CA file that is not PEM, and a directory given as a file', async () => {
    const result = await issuesOf(dir, `sites:\n  - name: a\n    origins: ["https://a:1"]\n    origin_tls: { ca: "${good.keyPath}" }\n  - name: b\n    hosts: [b]\n    builtin: welcome\n    tls: { cert: certs, key: certs/edge.key }\n`)
    assert.match(messageAt(result, 'sites[0].origin_tls.ca'), /^expected a PEM file of CA certificates: /)
    assert.equal(messageAt(result, 'sites[1].tls.cert'), `cannot read "${join(dir, 'certs')}": is a directory, expected a file`)
  })

  it('names the listener by where it was written when `listen` and `listeners` are mixed', async () => {
    const result = await issuesOf(dir, 'listen: [0, 0]\nlisteners:\n  - address: 0\n    tls: { cert: nope.pem, key: certs/edge.key }\nsites:\n  - { name: a, builtin: welcome }\n')
    assert.match(messageAt(result, 'listeners[0].tls.cert'), /file not found$/)
    assert.equal(result.issues[0]!.line, 4)
  })

  it('replaces every listener with --listen', async () => {
    const config = await loadText(dir, 'listen: 8080\nlisteners:\n  - address: 0\n    tls: { cert: certs/edge.pem, key: certs/edge.key }\nsites:\n  - { name: a, builtin: welcome }\n', { listen: '0.0.0.0:0' })
    assert.deepEqual(config.listeners, [{ address: { host: '0.0.0.0', port: 0 } }])
  })

  it('blames a bad --listen on the option, not on the file', async () => {
    const result = await issuesOf(dir, 'listen: 8080\nsites:\n  - { name: a, builtin: welcome }\n', { listen: 'everywhere' })
    assert.equal(messageAt(result, '--listen'), 'expected "host:port", ":port" or a port number, got "everywhere"')
    assert.equal(result.issues[0]!.line, undefined)
  })
})
