import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { runProbe } from '../../src/probe/runner.js'
import { startProbeOrigin, type ProbeOrigin } from '../../src/probe/origin/server.js'
import { startEdge, type RunningEdge } from '../helpers/edge-harness.js'

describe("probe against Wedge's own proxy mode", () => {
  let origin: ProbeOrigin
  let edge: RunningEdge
  before(async () => {
    origin = await startProbeOrigin({})
    edge = await startEdge({
      log: { level: 'silent' },
      sites: [{ name: 'probed', hosts: ['*'], origins: [`http://127.0.0.1:${origin.port}`], ws: { max_message_size: '32MiB' } }],
    })
  })
  after(async () => {
    await edge.stop()
    await origin.close()
  })

  test('every check passes through the edge, forwarded headers and the 16 MiB echo included', async () => {
    const result = await runProbe(`${edge.wsUrl}/`, { budgetMs: 4000, concurrency: 30 })
    const notPassed = result.checks.filter((check) => check.status !== 'pass').map((check) => `${check.id} ${check.status}: ${check.evidence}`)
    assert.deepEqual(notPassed, [])
    const headers = result.checks.find((check) => check.id === 'headers')
    assert.match(String(headers?.evidence), /X-Forwarded-For/i)
  })
})
