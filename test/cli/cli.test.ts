import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { runWedge } from './run-wedge.js'

const dir = mkdtempSync(join(tmpdir(), 'wedge-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function write(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

describe('wedge command line', () => {
  it('check prints a summary and exits 0 for a valid config', async () => {
    const file = write('ok.yaml', 'listen: [8080, "[::1]:0"]\nadmin: { listen: 9090 }\nsites:\n  - { name: api, origins: ["http://127.0.0.1:9000"] }\n  - { name: chat, hosts: [chat], builtin: echo }\n')
    const result = await runWedge(['check', '--config', file])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'config OK: 2 sites (api, chat), listeners 127.0.0.1:8080, [::1]:0, admin 127.0.0.1:9090\n')
  })

  it('check prints every issue on stderr and exits 2 for an invalid config', async () => {
    const file = write('bad.yaml', 'listen: true\nsites:\n  - name: api\n    orign: http://x:1\n')
    const result = await runWedge(['check', '-c', file], { env: { WEDGE_TEST: '1' } })
    assert.equal(result.code, 2)
    assert.equal(result.stdout, '')
    assert.equal(result.stderr, [
      `invalid config in ${file}:`,
      '  listen (line 1:1): expected "host:port" or list of "host:port", got true',
      '  sites[0].orign (line 4:5): unknown key (did you mean "origins"?)',
      '',
    ].join('\n'))
  })

  it('check exits 2 for a file that does not exist', async () => {
    const result = await runWedge(['check', '--config', join(dir, 'nope.yaml')])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /nope\.yaml:\n {2}cannot read the config file: file not found/)
  })

  it('check without --config is a usage error', async () => {
    const result = await runWedge(['check'])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'wedge: check needs --config FILE\nRun "wedge help check" for usage.\n')
  })

  it('--help lists every command and exits 0', async () => {
    const result = await runWedge(['--help'])
    assert.equal(result.code, 0)
    for (const command of ['start', 'check', 'reload', 'probe', 'probe-origin', 'help [COMMAND]', '--version']) {
      assert.match(result.stdout, new RegExp(`^ {2}${command.replace(/[[\]]/g, '\\$&')} `, 'm'), command)
    }
  })

  it('help COMMAND and COMMAND --help document every option', async () => {
    const viaHelp = await runWedge(['help', 'start'])
    const viaFlag = await runWedge(['start', '--help'])
    assert.equal(viaHelp.code, 0)
    assert.equal(viaHelp.stdout, viaFlag.stdout)
    assert.match(viaHelp.stdout, /^Usage: wedge start \[--config FILE\] \[--listen HOST:PORT\]$/m)
    assert.match(viaHelp.stdout, /-c, --config FILE/)
    assert.match(viaHelp.stdout, /-l, --listen HOST:PORT/)
    assert.match(viaHelp.stdout, /SIGHUP/)
    const reload = await runWedge(['help', 'reload'])
    assert.match(reload.stdout, /^Usage: wedge reload \[--config FILE\]$/m)
    const check = await runWedge(['help', 'check'])
    assert.match(check.stdout, /^Usage: wedge check --config FILE$/m)
  })

  it('--version prints the package version', async () => {
    const result = await runWedge(['--version'])
    assert.equal(result.code, 0)
    assert.match(result.stdout, /^wedge \d+\.\d+\.\d+\n$/)
  })

  it('an unknown command exits 2 with a suggestion', async () => {
    const result = await runWedge(['strat'])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'wedge: unknown command "strat" (did you mean "start"?)\nRun "wedge --help" for usage.\n')
  })

  it('an unknown option exits 2 naming the option', async () => {
    const result = await runWedge(['start', '--confg', 'x.yaml'])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'wedge: unknown option --confg (did you mean --config?)\nRun "wedge help start" for usage.\n')
  })

  it('an option without its value, a stray argument and no command at all are usage errors', async () => {
    const missing = await runWedge(['start', '--config'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /^wedge: option --config needs a value \(FILE\)/)
    const stray = await runWedge(['check', '--config', 'a.yaml', 'b.yaml'])
    assert.equal(stray.code, 2)
    assert.match(stray.stderr, /^wedge: unexpected argument "b\.yaml"/)
    const none = await runWedge([])
    assert.equal(none.code, 2)
    assert.match(none.stderr, /^Usage: wedge COMMAND/m)
  })

  it('start exits 2 without listening when the config is invalid', async () => {
    const file = write('start-bad.yaml', 'sites:\n  - name: a\n    builtin: nope\n')
    const result = await runWedge(['start', '--config', file])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /sites\[0\]\.builtin \(line 3:5\): expected one of "welcome", "echo", got "nope"/)
  })

  it('reload exits 2 and signals nothing when the config is invalid', async () => {
    const file = write('reload-bad.yaml', 'sites: []\n')
    const result = await runWedge(['reload', '--config', file])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /sites \(line 1:1\): expected at least 1 item\nnothing was reloaded\n$/)
  })

  it('reload exits 1 with a clear message when no edge is running', async () => {
    const file = write('reload-ok.yaml', 'data_dir: state\nsites:\n  - { name: a, builtin: welcome }\n')
    const result = await runWedge(['reload', '--config', file])
    assert.equal(result.code, 1)
    assert.match(result.stderr, new RegExp(`no running edge found: ${join(dir, 'state', 'wedge.pid')} does not exist`))
  })

  it('reload exits 1 for a pidfile whose process is gone', async () => {
    mkdirSync(join(dir, 'stale'), { recursive: true })
    // Pids are at most 2^22 on Linux: this one cannot be running.
    writeFileSync(join(dir, 'stale', 'wedge.pid'), '2147483646\n')
    const file = write('reload-stale.yaml', 'data_dir: stale\nsites:\n  - { name: a, builtin: welcome }\n')
    const result = await runWedge(['reload', '--config', file])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /pid 2147483646 from .* is not running \(stale pidfile\)/)
  })

  it('dispatches probe and probe-origin to the probe module', async () => {
    for (const command of ['probe', 'probe-origin']) {
      const result = await runWedge(['help', command])
      assert.doesNotMatch(result.stderr, /could not be loaded/, command)
      assert.match(result.stdout + result.stderr, new RegExp(`wedge ${command}`, 'i'), command)
    }
  })
})
