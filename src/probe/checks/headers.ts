import type { CheckOutcome } from '../types.js'
import { errorText, type CheckDefinition } from './check.js'

interface HandshakeInfo {
  headers: [string, string][]
  remoteAddress: string | null
  remotePort: number | null
}

const SHOWN = ['host', 'x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-host', 'via'] as const

function normalize(address: string | null | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '')
}

/**
 * What the origin learns about the client (RFC 7239 Forwarded, X-Forwarded-For, Host). A path
 * that hides the client address fails; a direct connection passes because the origin sees it anyway.
 */
export const headersCheck: CheckDefinition = {
  id: 'headers',
  title: 'Forwarded headers',
  async run({ connect }): Promise<CheckOutcome> {
    let info: HandshakeInfo
    let local: { address: string; port: number | undefined }
    try {
      const connected = await connect('info')
      local = { address: normalize(connected.localAddress), port: connected.localPort }
      info = await connected.inbox.nextJson<HandshakeInfo>(10_000)
      connected.ws.close(1000)
    } catch (error) {
      return { status: 'fail', summary: 'no connection', evidence: errorText(error) }
    }
    const seen = new Map<string, string>()
    for (const [name, value] of info.headers) {
      const key = name.toLowerCase()
      seen.set(key, seen.has(key) ? `${seen.get(key)}, ${value}` : value)
    }
    const listed = SHOWN.filter((name) => seen.has(name)).map((name) => `${name}: ${seen.get(name)}`)
    const peer = `${normalize(info.remoteAddress)}:${info.remotePort}`
    const metrics = Object.fromEntries(SHOWN.map((name) => [name, seen.get(name) ?? null]))
    if (normalize(info.remoteAddress) === local.address && info.remotePort === local.port) {
      return { status: 'pass', summary: 'direct', evidence: `direct connection: origin saw our own socket ${peer}; ${listed.join('; ')}`, metrics }
    }
    const forwarded = seen.has('x-forwarded-for') || seen.has('forwarded') || seen.has('x-real-ip')
    return {
      status: forwarded ? 'pass' : 'fail',
      summary: forwarded ? (seen.has('forwarded') ? 'Forwarded' : 'X-Forwarded-For') : 'client hidden',
      evidence: `origin saw peer ${peer}; ${[...listed, ...(forwarded ? [] : ['no X-Forwarded-For, Forwarded or X-Real-IP: the origin cannot learn the client address'])].join('; ')}`,
      metrics,
    }
  },
}
