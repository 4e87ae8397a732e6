import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { defaultConfig } from '../../src/config/default-config.js'

describe('built-in default config', () => {
  it('listens on 127.0.0.1:8080, serves the welcome builtin for every host and the chat example at /chat', () => {
    const config = defaultConfig()
    assert.deepEqual(config.listeners, [{ address: { host: '127.0.0.1', port: 8080 } }])
    assert.deepEqual(config.sites.map((site) => [site.name, site.builtin, site.hosts, site.path_prefix]), [
      ['welcome', 'welcome', ['*'], undefined],
      ['chat', undefined, ['*'], '/chat'],
    ])
    assert.ok(existsSync(config.sites[1]!.app!.wrangler!), 'the chat example is found in the package')
    assert.deepEqual({ runners: config.runtime.runners, spare: config.runtime.spare }, { runners: 1, spare: false })
    assert.equal(config.data_dir, join(process.cwd(), '.wedge'))
    assert.ok(Object.isFrozen(config.sites[0]!.ws))
  })

  it('takes another address from --listen and refuses a bad one', () => {
    assert.deepEqual(defaultConfig({ listen: '0.0.0.0:0' }).listeners, [{ address: { host: '0.0.0.0', port: 0 } }])
    assert.throws(() => defaultConfig({ listen: 'nowhere' }), (error: unknown) => error instanceof ConfigError && error.issues[0]!.path === '--listen')
  })
})
