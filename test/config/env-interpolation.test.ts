import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { interpolateEnv } from '../../src/config/interpolate.js'
import { configDir, issuesOf, loadText, messageAt } from './config-files.js'

const dir = configDir()

describe('environment variable interpolation', () => {
  it('replaces ${NAME} and ${NAME:-default} in string values, anywhere in the string', async () => {
    const config = await loadText(dir, [
      'data_dir: "${STATE:-state}/edge"',
      'sites:',
      '  - name: app',
      '    origins: ["http://${ORIGIN_HOST}:${ORIGIN_PORT:-9000}"]',
      '',
    ].join('\n'), { env: { ORIGIN_HOST: '10.1.2.3' } })
    assert.equal(config.sites[0]!.origins![0]!.url, 'http://10.1.2.3:9000')
    assert.equal(config.data_dir, `${dir}/state/edge`)
  })

  it('uses the default for a variable that is set but empty, as the shell does', () => {
    assert.deepEqual(interpolateEnv({ a: '${X:-fallback}', b: '${X}' }, { X: '' }).value, { a: 'fallback', b: '' })
  })

  it('keeps $${...} as a literal "${...}"', () => {
    assert.deepEqual(interpolateEnv({ a: 'cost $${PRICE} and $$ stays' }, { PRICE: '3' }).value, { a: 'cost ${PRICE} and $$ stays' })
  })

  it('never interpolates keys', () => {
    assert.deepEqual(interpolateEnv({ '${K}': 'v' }, { K: 'key' }).value, { '${K}': 'v' })
  })

  it('cannot be broken by a value full of YAML and JSON syntax', async () => {
    const tricky = 'a: "b", [c] {d}\n#e\'f'
    const config = await loadText(dir, 'sites:\n  - name: app\n    builtin: welcome\n    hosts: ["${HOST}"]\n', { env: { HOST: tricky } })
    assert.deepEqual(config.sites[0]!.hosts, [tricky])
  })

  it('converts a value to a number or boolean where the key expects one', async () => {
    const config = await loadText(dir, [
      'sites:',
      '  - name: app',
      '    builtin: welcome',
      '    websocket: ${WS}',
      '    limits: { max_connections: "${MAX}" }',
      '    ws: { ping_interval: "${PING}" }',
      '',
    ].join('\n'), { env: { WS: 'false', MAX: '250', PING: '20s' } })
    assert.equal(config.sites[0]!.websocket, false)
    assert.equal(config.sites[0]!.limits.max_connections, 250)
    assert.equal(config.sites[0]!.ws.ping_interval, 20_000)
  })

  it('reports a missing variable by key path and name, and nothing else about that key', async () => {
    const result = await issuesOf(dir, 'sites:\n  - name: app\n    origins: ["${ORIGIN}"]\n')
    assert.equal(messageAt(result, 'sites[0].origins[0]'), 'environment variable ORIGIN is not set (give a default with ${ORIGIN:-default})')
    assert.equal(result.issues.length, 1)
    assert.equal(result.issues[0]!.line, 3)
  })

  it('reports a malformed reference', async () => {
    const result = await issuesOf(dir, 'sites:\n  - name: app\n    builtin: welcome\n    hosts: ["${NOT VALID}", "${OPEN"]\n')
    assert.match(messageAt(result, 'sites[0].hosts[0]'), /^malformed variable reference "\$\{NOT VALID\}"/)
    assert.match(messageAt(result, 'sites[0].hosts[1]'), /^malformed variable reference "\$\{OPEN"/)
  })

  it('never prints a value that came from the environment, naming the variable instead', async () => {
    const secret = 's3cr3t-hunter2'
    const result = await issuesOf(dir, [
      'sites:',
      '  - name: app',
      '    origins: ["${ORIGIN_URL}"]',
      '    ws: { ping_interval: "${PING}", ping_timeout: 10s }',
      '    timeouts: { connect: "${CONNECT}" }',
      '',
    ].join('\n'), { env: { ORIGIN_URL: `http//${secret}`, CONNECT: `${secret}ms`, PING: '1s' } })
    assert.doesNotMatch(result.error.message, new RegExp(secret))
    assert.match(messageAt(result, 'sites[0].origins[0]'), /got the value of \$ORIGIN_URL \(not shown\)$/)
    assert.match(messageAt(result, 'sites[0].timeouts.connect'), /got the value of \$CONNECT \(not shown\)$/)
    for (const issue of result.issues) assert.equal('value' in issue, false, `${issue.path} carries its value`)
  })

  it('does not print an environment value in a cross-field rule either', async () => {
    const result = await issuesOf(dir, 'sites:\n  - name: app\n    builtin: echo\n    ws: { ping_interval: "${PING}", ping_timeout: 10s }\n', { env: { PING: '7s' } })
    assert.equal(messageAt(result, 'sites[0].ws.ping_timeout'), 'must be shorter than ws.ping_interval (the value of $PING (not shown)) when pings are on, got 10s')
  })
})
