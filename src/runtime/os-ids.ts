import { readFileSync } from 'node:fs'

/**
 * Numeric uid/gid for `runtime.user` / `runtime.group`. Node has no getpwnam(3), so names
 * are looked up in /etc/passwd and /etc/group (field 3 is the id in both, passwd(5),
 * group(5)). Numbers pass through.
 */
export function resolveUserId(user: string | number): number {
  return typeof user === 'number' ? user : lookup('/etc/passwd', user, 'user')
}

export function resolveGroupId(group: string | number): number {
  return typeof group === 'number' ? group : lookup('/etc/group', group, 'group')
}

/** The primary group of a user (passwd field 4), used when only `user` is set. */
export function primaryGroupOf(user: string | number): number | undefined {
  const fields = passwdEntry(user)
  return fields ? Number(fields[3]) : undefined
}

function passwdEntry(user: string | number): string[] | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const fields = line.split(':')
    if (fields.length >= 4 && (fields[0] === String(user) || (typeof user === 'number' && Number(fields[2]) === user))) return fields
  }
  return undefined
}

function lookup(file: string, name: string, what: string): number {
  if (/^\d+$/.test(name)) return Number(name)
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(':')
    if (fields[0] === name && fields.length >= 3) return Number(fields[2])
  }
  throw new Error(`runtime: no ${what} named "${name}" in ${file}`)
}
