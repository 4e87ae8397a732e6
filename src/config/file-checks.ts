import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createSecureContext } from 'node:tls'
import { showValue, type ConfigIssue, type SecretPaths } from './config-error.js'
import type { ResolvedConfig } from './schema.js'

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, expected a file',
}

/**
 * Checks at load time, not at first TLS handshake, that every certificate, key and CA file
 * the config names can be read and parsed, and that each certificate matches its key.
 */
export async function checkFiles(config: ResolvedConfig, listenerPaths: readonly string[], secrets?: SecretPaths): Promise<ConfigIssue[]> {
  const checks: Promise<ConfigIssue[]>[] = []
  config.listeners.forEach((listener, index) => {
    const at = (listenerPaths[index] ?? `listeners[${index}].address`).replace(/\.address$/, '')
    if (listener.tls) checks.push(checkKeyPair(listener.tls, `${at}.tls`, secrets))
  })
  config.sites.forEach((site, index) => {
    if (site.tls) checks.push(checkKeyPair(site.tls, `sites[${index}].tls`, secrets))
    if (site.origin_tls.ca !== undefined) checks.push(checkCa(site.origin_tls.ca, `sites[${index}].origin_tls.ca`, secrets))
  })
  return (await Promise.all(checks)).flat()
}

async function checkKeyPair(files: { cert: string; key: string }, at: string, secrets?: SecretPaths): Promise<ConfigIssue[]> {
  const [cert, key] = await Promise.all([read(files.cert, `${at}.cert`, secrets), read(files.key, `${at}.key`, secrets)])
  const issues = [cert, key].filter((result): result is ConfigIssue => 'path' in result)
  if (issues.length > 0 || !('data' in cert) || !('data' in key)) return issues
  try {
    createSecureContext({ cert: cert.data, key: key.data })
    return []
  } catch (error) {
    return [{ path: at, message: `certificate and key cannot be used together (expected PEM files of a matching pair): ${reason(error)}` }]
  }
}

async function checkCa(file: string, at: string, secrets?: SecretPaths): Promise<ConfigIssue[]> {
  const ca = await read(file, at, secrets)
  if (!('data' in ca)) return [ca]
  try {
    // createSecureContext skips PEM blocks that are not certificates: a key given as the CA
    // would silently trust nothing, so a certificate must be there and parse.
    if (!ca.data.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block found')
    new X509Certificate(ca.data)
    createSecureContext({ ca: ca.data })
    return []
  } catch (error) {
    return [{ path: at, message: `expected a PEM file of CA certificates: ${reason(error)}` }]
  }
}

async function read(file: string, at: string, secrets?: SecretPaths): Promise<{ data: Buffer } | ConfigIssue> {
  try {
    return { data: await readFile(file) }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    const shown = secrets?.has(at) ? showValue(file, at, secrets) : JSON.stringify(file)
    return { path: at, message: `cannot read ${shown}: ${READ_ERRORS[code] ?? reason(error)}` }
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
