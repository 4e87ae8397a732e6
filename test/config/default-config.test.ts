import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/config/config-error.js'
import { defaultConfig } from '../../src/config/default-config.js'

describe('built-in default config', () => {
  it('listens on 127.0.0.1:8080 and serves the welcome builtin for every host', () => {
    const config = defaultConfig()
    assert.deepEqual(config.listeners, [{ address: { host: '127.0.0.1', port: 8080 } }])
    assert.equal(config.sites.length, 1)
    assert.deepEqual([config.sites[0]!.name, config.sites[0]!.builtin, config.sites[0]!.hosts], ['welcome', 'welcome', ['*']])
    assert.equal(config.data_dir, join(process.cwd(), '.wedge'))
    assert.ok(Object.isFrozen(config.sites[0]!.ws))
  })

  it('takes another address from --listen and refuses a bad one', () => {
    assert.deepEqual(defaultConfig({ listen: '0.0.0.0:0' }).listeners, [{ address: { host: '0.0.0.0', port: 0 } }])
    assert.throws(() => defaultConfig({ listen: 'nowhere' }), (error: unknown) => error instanceof ConfigError && error.issues[0]!.path === '--listen')
  })
})
