import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { after, before, describe, it } from 'node:test'
import { send, startEdge, startOrigin, type TestOrigin } from './harness.js'

/** A throwaway CA and two leaf certificates it signed, made with the openssl CLI. */
function makeCertificates(dir: string): { ca: string; ipCert: Buffer; ipKey: Buffer; namedCert: Buffer; namedKey: Buffer } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Wedge Test CA')
  const leaf = (name: string, altNames: string) => {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`)
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`)
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`)
    return { cert: readFileSync(join(dir, `${name}.pem`)), key: readFileSync(join(dir, `${name}.key`)) }
  }
  const ip = leaf('local', 'IP:127.0.0.1,DNS:localhost')
  const named = leaf('named', 'DNS:origin.internal')
  return { ca: join(dir, 'ca.pem'), ipCert: ip.cert, ipKey: ip.key, namedCert: named.cert, namedKey: named.key }
}

describe('HTTPS origins', () => {
  let dir: string
  let ca: string
  let origin: TestOrigin
  let namedOrigin: TestOrigin

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wedge-tls-'))
    const files = makeCertificates(dir)
    ca = files.ca
    const answer = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      res.end(`${name} sni=${(req.socket as TLSSocket).servername || 'none'} host=${req.headers.host}`)
    }
    origin = await startOrigin(answer('ip'), { cert: files.ipCert, key: files.ipKey })
    namedOrigin = await startOrigin(answer('named'), { cert: files.namedCert, key: files.namedKey })
  })
  after(async () => {
    await origin?.close()
    await namedOrigin?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('reaches an origin whose certificate chains to origin_tls.ca, checked against the origin IP', async (t) => {
    const edge = await startEdge([origin.url], { origin_tls: { ca } })
    t.after(() => edge.close())
    // The client's Host must not become the SNI or the name checked in the certificate.
    const response = await send(edge.url, { headers: { host: 'app.example' } })
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'ip sni=none host=app.example')
  })

  it('refuses an origin certificate that the system store does not trust', async (t) => {
    const edge = await startEdge([origin.url])
    t.after(() => edge.close())
    const response = await send(edge.url)
    assert.equal(response.status, 502)
    assert.equal(response.headers['x-wedge-error'], 'WEDGE_NO_HEALTHY_ORIGIN')
    assert.equal(edge.results.length, 1)
    assert.equal(edge.results[0]?.ok, false)
    assert.match(edge.results[0]?.reason ?? '', /CERT|SIGNATURE|ISSUER/)
  })

  it('accepts any certificate when origin_tls.verify is false', async (t) => {
    const edge = await startEdge([origin.url], { origin_tls: { verify: false } })
    t.after(() => edge.close())
    const response = await send(edge.url)
    assert.equal(response.status, 200)
  })

  it('uses origin_tls.servername for SNI and the certificate name check', async (t) => {
    const named = await startEdge([namedOrigin.url], { origin_tls: { ca, servername: 'origin.internal' } })
    const unnamed = await startEdge([namedOrigin.url], { origin_tls: { ca } })
    t.after(async () => { await named.close(); await unnamed.close() })
    const response = await send(named.url, { headers: { host: 'app.example' } })
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'named sni=origin.internal host=app.example')
    const mismatch = await send(unnamed.url)
    assert.equal(mismatch.status, 502)
    assert.equal(unnamed.results[0]?.reason, 'ERR_TLS_CERT_ALTNAME_INVALID')
  })
})
