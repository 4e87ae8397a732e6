import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configDir, issuesOf, loadText, messageAt, SITE } from './config-files.js'

const dir = configDir()

describe('config validation messages', () => {
  it('names an unknown key by its path and suggests the key that was meant', async () => {
    const result = await issuesOf(dir, 'sites:\n  - name: app\n    orign: http://x:1\n    builtin: welcome\n')
    assert.equal(messageAt(result, 'sites[0].orign'), 'unknown key (did you mean "origins"?)')
    assert.equal(result.issues[0]!.line, 3)
    assert.equal(result.issues[0]!.column, 5)
  })

  it('lists the allowed keys when no key is close to an unknown one', async () => {
    const result = await issuesOf(dir, `log: { colour: red }\nsites:\n${SITE}`)
    assert.equal(messageAt(result, 'log.colour'), 'unknown key (allowed: level, format)')
  })

  it('says what a listener address must look like when given the wrong type', async () => {
    const result = await issuesOf(dir, `listen: true\nsites:\n${SITE}`)
    assert.equal(messageAt(result, 'listen'), 'expected "host:port" or list of "host:port", got true')
  })

  it('refuses a port above 65535 naming the port', async () => {
    const result = await issuesOf(dir, `listen: "0.0.0.0:70000"\nsites:\n${SITE}`)
    assert.match(messageAt(result, 'listen'), /^port 70000 is out of range: expected "host:port" with a port from 0 to 65535, got "0\.0\.0\.0:70000"$/)
  })

  it('reads a bare port as that port on 127.0.0.1', async () => {
    const config = await loadText(dir, `listen: 8081\nsites:\n${SITE}`)
    assert.deepEqual(config.listeners, [{ address: { host: '127.0.0.1', port: 8081 } }])
  })

  it('explains a bad duration and a bad size with examples and the value', async () => {
    const result = await issuesOf(dir, `server: { drain_timeout: 10 minutes, max_header_size: 12 parsecs }\nsites:\n${SITE}`)
    assert.equal(messageAt(result, 'server.drain_timeout'), 'expected a duration such as "30s", "500ms" or a number of milliseconds, got "10 minutes"')
    assert.equal(messageAt(result, 'server.max_header_size'), 'expected a size such as "64KiB", "16MiB" or a number of bytes, got "12 parsecs"')
    assert.equal(result.issues.find((issue) => issue.path === 'server.drain_timeout')!.value, '10 minutes')
  })

  it('names the expected type for a wrong scalar and an out-of-range integer', async () => {
    const result = await issuesOf(dir, `sites:\n  - name: app\n    websocket: "yes"\n    origins: [{ url: "http://a:1", weight: 5000 }]\n`)
    assert.equal(messageAt(result, 'sites[0].websocket'), 'expected boolean, got "yes"')
    assert.equal(messageAt(result, 'sites[0].origins[0].weight'), 'expected integer 1-1000, got 5000')
  })

  it('explains a bad origin URL, in both the string and the object form', async () => {
    const result = await issuesOf(dir, 'sites:\n  - name: app\n    origins: ["ftp://files:21", { url: "not a url" }]\n')
    assert.match(messageAt(result, 'sites[0].origins[0]'), /^expected an origin URL such as "http:\/\/127\.0\.0\.1:9101" \(http, https, ws or wss\), got "ftp:\/\/files:21"$/)
    assert.match(messageAt(result, 'sites[0].origins[1].url'), /expected an origin URL .*, got "not a url"$/)
  })

  it('suggests the enum value that was meant', async () => {
    const result = await issuesOf(dir, `sites:\n${SITE}    balance: { policy: round-robin }\n`)
    assert.equal(messageAt(result, 'sites[0].balance.policy'), 'expected one of "round_robin", "least_connections", "hash" (did you mean "round_robin"?), got "round-robin"')
  })

  it('reports a missing required key and an empty list', async () => {
    assert.equal(messageAt(await issuesOf(dir, 'listen: 8080\n'), 'sites'), 'required: expected list of object')
    assert.equal(messageAt(await issuesOf(dir, 'sites: []\n'), 'sites'), 'expected at least 1 item')
  })

  it('refuses duplicate site names and a host and path prefix claimed twice', async () => {
    const result = await issuesOf(dir, [
      'sites:',
      '  - { name: a, hosts: [example.com], builtin: welcome }',
      '  - { name: a, hosts: [other.com], builtin: welcome }',
      '  - { name: b, hosts: [EXAMPLE.com], builtin: welcome }',
      '  - { name: c, hosts: [example.com], path_prefix: /api, builtin: welcome }',
      '',
    ].join('\n'))
    assert.equal(messageAt(result, 'sites[1].name'), 'duplicate site name "a" (also sites[0])')
    assert.equal(messageAt(result, 'sites[2].hosts[0]'), 'host "EXAMPLE.com" with path_prefix "/" is already served by site "a" (sites[0])')
    assert.equal(result.byPath.has('sites[3].hosts[0]'), false, 'a different path_prefix on the same host is allowed')
  })

  it('requires exactly one of origins, builtin and app', async () => {
    const result = await issuesOf(dir, 'sites:\n  - { name: a, builtin: echo, origins: ["http://a:1"] }\n  - { name: b }\n')
    assert.equal(messageAt(result, 'sites[0]'), 'a site needs exactly one of "origins", "builtin" or "app", got origins and builtin')
    assert.equal(messageAt(result, 'sites[1]'), 'a site needs exactly one of "origins", "builtin" or "app", got none')
  })

  it('requires hash_on with policy hash and refuses hash_on with any other policy', async () => {
    const result = await issuesOf(dir, `sites:\n${SITE}    balance: { policy: hash }\n  - name: b\n    builtin: echo\n    hosts: [b]\n    balance: { hash_on: path }\n`)
    assert.match(messageAt(result, 'sites[0].balance.hash_on'), /^required with policy "hash"/)
    assert.equal(messageAt(result, 'sites[1].balance.hash_on'), 'only used with policy "hash", but the policy is "round_robin" (set balance.policy: hash or remove hash_on)')
  })

  it('refuses a ping timeout not shorter than the ping interval, only when pings are on', async () => {
    const result = await issuesOf(dir, `sites:\n${SITE}    ws: { ping_interval: 5s, ping_timeout: 5s }\n  - name: b\n    hosts: [b]\n    builtin: echo\n    ws: { ping_timeout: 1h }\n`)
    assert.equal(messageAt(result, 'sites[0].ws.ping_timeout'), 'must be shorter than ws.ping_interval (5s) when pings are on, got 5s')
    assert.equal(result.byPath.has('sites[1].ws.ping_timeout'), false)
  })

  it('refuses a health check timeout not shorter than its interval', async () => {
    const result = await issuesOf(dir, `sites:\n${SITE}    health_check: { interval: 1s, timeout: 2s }\n`)
    assert.equal(messageAt(result, 'sites[0].health_check.timeout'), 'must be shorter than health_check.interval (1s), got 2s')
  })

  it('refuses two listeners on one address, naming both', async () => {
    const result = await issuesOf(dir, `listen: [8080, "127.0.0.1:8080"]\nadmin: { listen: 8080 }\nsites:\n${SITE}`)
    assert.equal(messageAt(result, 'listen[1]'), 'address 127.0.0.1:8080 is already used by listen[0]')
    assert.equal(messageAt(result, 'admin.listen'), 'address 127.0.0.1:8080 is already used by listen[0]')
  })

  it('reports every problem at once, in file order, site rules included', async () => {
    const result = await issuesOf(dir, [
      'sites:',
      '  - { name: a, builtin: welcome, websocket: maybe }',
      '  - { name: b, builtin: echo, ws: { ping_interval: 1s, ping_timeout: 2s } }',
      '  - { name: b, builtin: echo, hosts: [x] }',
      '',
    ].join('\n'))
    assert.deepEqual(result.issues.map((issue) => [issue.path, issue.line]), [
      ['sites[0].websocket', 2],
      ['sites[1].ws.ping_timeout', 3],
      ['sites[2].name', 4],
    ])
  })

  it('gives the line and column of a YAML syntax error, and only the first one', async () => {
    const result = await issuesOf(dir, 'sites:\n  - name: a\n   builtin: welcome\n')
    assert.equal(result.issues.length, 1)
    assert.equal(result.issues[0]!.line, 3)
    assert.match(result.error.message, /^invalid config in .*config-\d+\.yaml:\n {2}line 3:\d+: YAML syntax error: /)
  })

  it('suggests quoting a variable reference that broke a YAML flow mapping', async () => {
    const result = await issuesOf(dir, 'sites: [{ name: a, builtin: ${KIND} }]\n')
    assert.match(result.issues[0]!.message, /quote variable references: "\$\{NAME\}"/)
  })

  it('gives the line and column of a JSON syntax error', async () => {
    const result = await issuesOf(dir, '{\n  "sites": [\n    { "name": "a", }\n  ]\n}\n', { extension: '.json' })
    assert.equal(result.issues.length, 1)
    assert.deepEqual([result.issues[0]!.line, result.issues[0]!.column], [3, 20])
    assert.equal(result.issues[0]!.message, 'JSON syntax error: unexpected "}", expected a key in double quotes')
  })

  it('reads .json files as JSON and still locates issues by line', async () => {
    const result = await issuesOf(dir, '{\n  "sites": [\n    { "name": "a", "builtin": "welcome", "hots": ["x"] }\n  ]\n}\n', { extension: '.json' })
    assert.equal(messageAt(result, 'sites[0].hots'), 'unknown key (did you mean "hosts"?)')
    assert.equal(result.issues[0]!.line, 3)
  })

  it('refuses YAML duplicate keys and an empty file', async () => {
    const duplicate = await issuesOf(dir, `sites:\n${SITE}sites:\n${SITE}`)
    assert.match(duplicate.issues[0]!.message, /YAML syntax error: Map keys must be unique/)
    assert.equal((await issuesOf(dir, '# nothing here\n')).issues[0]!.message, 'the file is empty: expected a mapping with at least "sites"')
  })
})
