import type { IncomingHttpHeaders } from 'node:http'

/** The parts of a request a hash key can come from. */
export interface KeySource {
  url?: string
  headers: IncomingHttpHeaders
}

/**
 * The consistent-hash key of a request for `balance.hash_on`: "path" (without the query),
 * "query:NAME", "header:NAME" or "cookie:NAME". Undefined when the request has no such
 * value or it is empty, so the caller falls back to round robin rather than piling every
 * key-less request onto one origin.
 */
export function hashKeyOf(request: KeySource, hashOn: string): string | undefined {
  const colon = hashOn.indexOf(':')
  const source = colon === -1 ? hashOn : hashOn.slice(0, colon)
  const name = colon === -1 ? '' : hashOn.slice(colon + 1)
  let key: string | undefined
  switch (source) {
    case 'path': key = pathOf(request.url); break
    case 'query': key = queryParamOf(request.url, name); break
    case 'header': key = headerOf(request.headers, name); break
    case 'cookie': key = cookieOf(request.headers, name); break
  }
  return key === '' ? undefined : key
}

/** Origin-form ("/a?b") or absolute-form ("http://h/a?b", RFC 9112 §3.2.2) targets. */
function splitTarget(url: string | undefined): { path: string; query: string } | undefined {
  if (url === undefined || url === '') return undefined
  let target = url
  if (!target.startsWith('/')) {
    try {
      const parsed = new URL(target)
      target = parsed.pathname + parsed.search
    } catch {
      return undefined
    }
  }
  const hash = target.indexOf('#')
  if (hash !== -1) target = target.slice(0, hash)
  const question = target.indexOf('?')
  return question === -1
    ? { path: target, query: '' }
    : { path: target.slice(0, question), query: target.slice(question + 1) }
}

function pathOf(url: string | undefined): string | undefined {
  return splitTarget(url)?.path
}

function queryParamOf(url: string | undefined, name: string): string | undefined {
  const target = splitTarget(url)
  if (!target || target.query === '') return undefined
  return new URLSearchParams(target.query).get(name) ?? undefined
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/** RFC 6265 §5.4 cookie-string: "name=value; name2=value2"; the first match wins. */
function cookieOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie
  if (header === undefined) return undefined
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const pair of line.split(';')) {
      const equals = pair.indexOf('=')
      if (equals === -1 || pair.slice(0, equals).trim() !== name) continue
      const value = pair.slice(equals + 1).trim()
      // §4.1.1: a cookie-value may be wrapped in DQUOTEs that are not part of the value.
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
    }
  }
  return undefined
}
