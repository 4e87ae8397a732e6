/**
 * The routing table: a site is chosen by Host (exact name, then the longest matching
 * `*.suffix` wildcard, then the catch-all `*`), and within that host entry by the longest
 * matching path prefix. Built once per config and immutable, so a reload swaps it atomically.
 */
export interface Routable {
  readonly hosts: readonly string[]
  readonly path_prefix?: string | undefined
}

interface Entry<T> {
  prefix: string
  site: T
}

export class RoutingTable<T extends Routable> {
  readonly #exact = new Map<string, Entry<T>[]>()
  readonly #wildcards: { suffix: string; entries: Entry<T>[] }[] = []
  readonly #catchAll: Entry<T>[] = []

  constructor(sites: readonly T[]) {
    for (const site of sites) {
      const entry = { prefix: site.path_prefix ?? '/', site }
      for (const rawHost of site.hosts) {
        const host = rawHost.toLowerCase()
        if (host === '*') this.#catchAll.push(entry)
        else if (host.startsWith('*.')) this.#wildcardEntries(host.slice(1)).push(entry)
        else this.#exactEntries(host).push(entry)
      }
    }
    // Longest suffix first, longest prefix first: the first match is the most specific.
    this.#wildcards.sort((a, b) => b.suffix.length - a.suffix.length)
    const byPrefix = (a: Entry<T>, b: Entry<T>): number => b.prefix.length - a.prefix.length
    for (const list of this.#exact.values()) list.sort(byPrefix)
    for (const { entries } of this.#wildcards) entries.sort(byPrefix)
    this.#catchAll.sort(byPrefix)
  }

  /** The site for a Host header value and request path, or undefined. */
  match(hostHeader: string | undefined, path: string): T | undefined {
    const host = normaliseHost(hostHeader)
    const exact = this.#exact.get(host)
    const found = exact && matchPrefix(exact, path)
    if (found) return found
    for (const { suffix, entries } of this.#wildcards) {
      if (host.length > suffix.length && host.endsWith(suffix)) {
        const site = matchPrefix(entries, path)
        if (site) return site
      }
    }
    return matchPrefix(this.#catchAll, path)
  }

  #exactEntries(host: string): Entry<T>[] {
    let list = this.#exact.get(host)
    if (!list) this.#exact.set(host, (list = []))
    return list
  }

  #wildcardEntries(suffix: string): Entry<T>[] {
    let group = this.#wildcards.find((candidate) => candidate.suffix === suffix)
    if (!group) this.#wildcards.push((group = { suffix, entries: [] }))
    return group.entries
  }
}

function matchPrefix<T>(entries: readonly Entry<T>[], path: string): T | undefined {
  for (const entry of entries) {
    if (entry.prefix === '/' || path === entry.prefix || path.startsWith(entry.prefix.endsWith('/') ? entry.prefix : `${entry.prefix}/`) || path.startsWith(`${entry.prefix}?`)) {
      return entry.site
    }
  }
  return undefined
}

/** Lower-cases and strips the port: "API.Example.com:8080" → "api.example.com", "[::1]:80" → "[::1]". */
export function normaliseHost(hostHeader: string | undefined): string {
  if (!hostHeader) return ''
  const host = hostHeader.trim().toLowerCase()
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end === -1 ? host : host.slice(0, end + 1)
  }
  const colon = host.indexOf(':')
  const name = colon === -1 ? host : host.slice(0, colon)
  return name.endsWith('.') ? name.slice(0, -1) : name
}
