import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCa {
  /** Path of the CA certificate (PEM), for `origin_tls.ca`. */
  certPath: string
  keyPath: string
  /** The CA certificate's PEM text, for a client's `ca` option. */
  pem: string
}

export interface LeafCert {
  /** Paths for a `tls: { cert, key }` config entry. */
  certPath: string
  keyPath: string
  cert: string
  key: string
}

let directory: string | undefined
let caPromise: Promise<TestCa> | undefined
const leaves = new Map<string, Promise<LeafCert>>()

/** One temp dir per process, removed when the process exits. */
function workDir(): string {
  if (directory === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'wedge-tls-'))
    directory = dir
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return directory
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: workDir(), timeout: 15_000 })
}

/** A throw-away CA made with the `openssl` CLI (P-256 keys, valid 2 days); one per process. */
export function testCa(): Promise<TestCa> {
  caPromise ??= (async () => {
    const dir = workDir()
    const certPath = join(dir, 'ca.pem')
    const keyPath = join(dir, 'ca.key')
    await openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=Wedge Test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ])
    return { certPath, keyPath, pem: readFileSync(certPath, 'utf8') }
  })()
  return caPromise
}

/**
 * A server certificate signed by `testCa()`: the first name is the subject CN, every name
 * is a subjectAltName (DNS, or IP for addresses). Cached per list of names.
 */
export function leafCert(names: readonly string[]): Promise<LeafCert> {
  if (names.length === 0) throw new Error('leafCert needs at least one name')
  const id = names.join(',')
  let leaf = leaves.get(id)
  if (!leaf) {
    leaf = makeLeaf(names)
    leaves.set(id, leaf)
  }
  return leaf
}

async function makeLeaf(names: readonly string[]): Promise<LeafCert> {
  const ca = await testCa()
  const dir = workDir()
  const base = join(dir, `leaf-${randomBytes(6).toString('hex')}`)
  const keyPath = `${base}.key`
  const certPath = `${base}.pem`
  const csrPath = `${base}.csr`
  const extPath = `${base}.ext`
  const altNames = names.map((name) => `${isIP(name) ? 'IP' : 'DNS'}:${name}`).join(',')
  writeFileSync(extPath, [
    `subjectAltName=${altNames}`,
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'))
  await openssl([
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${names[0]}`,
  ])
  await openssl([
    'x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', extPath, '-out', certPath,
  ])
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }
}
