import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Meter } from '../../src/metering/meter.js'
import type { Command } from '../../src/cli/command.js'
import { runUsageCommand, usageCommand } from '../../src/metering/usage-cli.js'
import { parseUsageQuery, UsageQueryError } from '../../src/metering/usage-query.js'
import { usageReport, type UsageReport } from '../../src/metering/usage-report.js'
import type { UsageStore } from '../../src/metering/usage-store.js'
import { ManualClock, TrafficSource } from './traffic-source.js'
import { tempUsageStore } from './usage-fixtures.js'

// The CLI registers usageCommand in its command table: it must stay a Command.
const registered: Command = usageCommand

const START = Date.UTC(2025, 0, 1, 9, 58, 0)
const CLI_MODULE = new URL('../../src/metering/usage-cli.js', import.meta.url).href

/** Three minutes of two connections on site "chat", flushed by a real meter. */
async function meteredStore(store: UsageStore): Promise<void> {
  const clock = new ManualClock(START)
  const meter = new Meter({ usage: store, now: clock.now })
  const sources = [new TrafficSource('a', 'chat', START), new TrafficSource('b', 'chat', START)]
  for (const source of sources) {
    meter.handshake('chat', 'accepted')
    meter.opened(source)
  }
  for (let second = 1; second <= 180; second++) {
    clock.advance(1000)
    for (const source of sources) source.send('toClient', 1, 100)
    meter.tick()
  }
  for (const source of sources) meter.closed(source, { closeCode: 1000, closedBy: 'client' })
  meter.handshake('other', 'WEDGE_NO_SITE')
  await meter.stop()
}

function capture(): { stdout: string[]; stderr: string[]; io: { stdout: { write(text: string): void }; stderr: { write(text: string): void }; now: number } } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, io: { stdout: { write: (text) => void stdout.push(text) }, stderr: { write: (text) => void stderr.push(text) }, now: Date.UTC(2025, 0, 1, 12) } }
}

test('wedge usage --data-dir prints hourly JSON whose totals match what was metered', async (t) => {
  const { store, dataDir } = tempUsageStore(t)
  await meteredStore(store)
  const { stdout, stderr, io } = capture()
  const status = await runUsageCommand(['--data-dir', dataDir, '--site', 'chat', '--from', '2025-01-01T09:00:00Z', '--to', '-1h', '--step', 'hour', '--format', 'json'], io)
  assert.equal(status, 0, stderr.join(''))
  const report = JSON.parse(stdout.join('')) as UsageReport
  assert.equal(report.site, 'chat')
  assert.equal(report.to, '2025-01-01T11:00:00.000Z')
  assert.deepEqual(report.rows.map((row) => [row.start, row.connectionMinutes, row.messagesToClient]), [
    ['2025-01-01T09:00:00.000Z', 4, 240],
    ['2025-01-01T10:00:00.000Z', 2, 120],
  ])
  assert.deepEqual(report.totals.map((total) => [total.site, total.connectionMinutes, total.messagesToClient, total.payloadBytesToClient, total.peakConcurrent, total.handshakesAccepted]), [['chat', 6, 360, 36_000, 2, 2]])
})

test('wedge usage prints a table with a TOTAL line, and CSV with a header', async (t) => {
  const { store, dataDir } = tempUsageStore(t)
  await meteredStore(store)
  const table = capture()
  assert.equal(await runUsageCommand(['--data-dir', dataDir, '--from', '-1d', '--step', 'day'], table.io), 0)
  const lines = table.stdout.join('').trimEnd().split('\n')
  assert.match(lines[0]!, /^SITE +START \(UTC\) +CONN-MIN +PEAK +HS-OK +HS-REFUSED +MSG-IN +MSG-OUT/)
  assert.match(lines[1]!, /^chat +2025-01-01 +6\.000 +2 +2 +0 +0 +360 /)
  assert.match(lines[2]!, /^other +2025-01-01 +0\.000 +0 +0 +1 /)
  assert.match(lines[3]!, /^chat +TOTAL +6\.000 /)

  const csv = capture()
  assert.equal(await runUsageCommand(['--data-dir', dataDir, '--site', 'chat', '--from', '2025-01-01T09:59:00Z', '--to', '2025-01-01T10:01:00Z', '--format', 'csv'], csv.io), 0)
  assert.deepEqual(csv.stdout.join('').split('\r\n'), [
    'site,start,connection_minutes,connection_ms,peak_concurrent,handshakes_accepted,handshakes_refused,messages_from_client,messages_to_client,payload_bytes_from_client,payload_bytes_to_client,wire_bytes_from_client,wire_bytes_to_client',
    'chat,2025-01-01T09:59:00.000Z,2,120000,2,0,0,0,120,0,12000,0,12240',
    'chat,2025-01-01T10:00:00.000Z,2,120000,2,0,0,0,120,0,12000,0,12240',
    '',
  ])
})

test('wedge usage exits 2 on a bad command line and 1 when there is no usage file', async (t) => {
  const { dataDir } = tempUsageStore(t)
  const cases: [string[], number, RegExp][] = [
    [['--data-dir', dataDir, '--step', 'week'], 2, /--step: expected minute, hour or day, got "week"/],
    [['--data-dir', dataDir, '--format', 'xml'], 2, /--format: expected table, csv or json, got "xml"/],
    [['--data-dir', dataDir, '--from', 'soon'], 2, /--from: expected an ISO 8601 time/],
    [['--site', 'a'], 2, /give exactly one of --data-dir DIR .* or --admin URL/],
    [['--data-dir', dataDir, '--bogus'], 2, /unknown option --bogus/],
    [['--data-dir', dataDir, '--site', '--step', 'day'], 2, /option --site needs a value/],
    [['--data-dir', dataDir, 'extra'], 2, /unexpected argument "extra"/],
    [['--data-dir', `${dataDir}/nothing-here`], 1, /usage\.sqlite does not exist/],
  ]
  for (const [argv, status, message] of cases) {
    const { stderr, io } = capture()
    assert.equal(await runUsageCommand(argv, io), status, argv.join(' '))
    assert.match(stderr.join(''), message)
  }
  const help = capture()
  assert.equal(registered.name, 'usage')
  assert.equal(await runUsageCommand(['--help'], help.io), 0)
  assert.match(help.stdout.join(''), /^Usage: wedge usage \(--data-dir DIR \| --admin URL/)
})

test('wedge usage --admin asks GET /api/usage with the bearer token and prints the answer', async (t) => {
  const { store } = tempUsageStore(t)
  await meteredStore(store)
  const seen: string[] = []
  // The route as the admin server wires it: parse, 400 on UsageQueryError, usageReport.
  const server = createServer((request, response) => {
    seen.push(`${request.headers.authorization} ${request.url}`)
    const url = new URL(request.url!, 'http://admin')
    const answer = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (request.headers.authorization !== 'Bearer s3cret') return answer(401, { error: { code: 'WEDGE_ADMIN_UNAUTHORIZED', message: 'A valid bearer token is required' } })
    try {
      answer(200, usageReport(store, parseUsageQuery(url.searchParams)))
    } catch (error) {
      if (!(error instanceof UsageQueryError)) throw error
      answer(400, { error: { code: 'WEDGE_ADMIN_BAD_REQUEST', message: error.message } })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const admin = `127.0.0.1:${(server.address() as AddressInfo).port}`

  const ok = capture()
  assert.equal(await runUsageCommand(['--admin', admin, '--token', 's3cret', '--site', 'chat', '--from', '2025-01-01T00:00Z', '--step', 'day', '--format', 'json'], ok.io), 0, ok.stderr.join(''))
  assert.equal((JSON.parse(ok.stdout.join('')) as UsageReport).totals[0]!.connectionMinutes, 6)
  assert.equal(seen[0], `Bearer s3cret /api/usage?site=chat&from=${Date.UTC(2025, 0, 1)}&to=${Date.UTC(2025, 0, 1, 12)}&step=day`)

  const refused = capture()
  assert.equal(await runUsageCommand(['--admin', `http://${admin}`, '--token', 'wrong'], refused.io), 1)
  assert.equal(refused.stderr.join(''), 'wedge usage: A valid bearer token is required (HTTP 401 WEDGE_ADMIN_UNAUTHORIZED)\n')
})

test('wedge usage runs as its own process against a data dir', async (t) => {
  const { store, dataDir } = tempUsageStore(t)
  await meteredStore(store)
  const script = `import { runUsageCommand } from ${JSON.stringify(CLI_MODULE)}; process.exitCode = await runUsageCommand(process.argv.slice(1))`
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', script, '--', '--data-dir', dataDir, '--from', '2025-01-01T00:00:00Z', '--to', '2025-01-02T00:00:00Z', '--step', 'hour', '--format', 'csv'], { timeout: 10_000 }, (_error, out) => resolve({ code: child.exitCode, stdout: out }))
  })
  assert.equal(code, 0)
  const rows = stdout.trim().split('\r\n')
  assert.equal(rows.length, 4, stdout)
  assert.match(rows[1]!, /^chat,2025-01-01T09:00:00.000Z,4,240000,2,2,0,0,240,/)
})
