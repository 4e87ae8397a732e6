/**
 * Entry of the platform bundle. The runner evaluates the bundle, calls `setup(host, config)`
 * once, and keeps the two functions it returns: `bind(namespace)` (after the app module was
 * evaluated) and `dispatch(records, budgetMs)` (every later call; formats in isolate-messages.ts).
 */
import { AppRuntime } from './app-runtime.js'
import { installGlobals } from './globals.js'
import { beginOutputs, setHost, now } from './host-link.js'
import { reportError } from './console.js'
import { INPUT, type DispatchResult, type EventEntry, type PlatformConfig } from '../isolate-messages.js'
import type { ObjectAddress, SocketRecord } from '../../runtime/runner-protocol.js'

type Bind = (namespace: Record<string, unknown>) => string
type Dispatch = (records: unknown[], budgetMs: number) => DispatchResult

export function setup(hostFunction: Parameters<typeof setHost>[0], config: PlatformConfig): [Bind, Dispatch] {
  setHost(hostFunction)
  installGlobals(config)
  const runtime = new AppRuntime(config)
  const bind: Bind = (namespace) => runtime.bindExports(namespace)
  const dispatch: Dispatch = (records, budgetMs) => {
    const out = beginOutputs()
    const started = now()
    let consumed = 0
    let i = 0
    while (i < records.length) {
      if (consumed > 0 && now() - started >= budgetMs) break
      consumed++
      try {
        i = apply(runtime, records, i)
      } catch (error) {
        reportError(error, 'runner platform')
        break
      }
    }
    out[0] = consumed
    out[1] = runtime.live
    // `out` keeps filling during the microtask checkpoint; the runner copies it afterwards.
    return out
  }
  return [bind, dispatch]
}

/** Applies the record at `i`; returns the index of the next one. */
function apply(runtime: AppRuntime, records: unknown[], i: number): number {
  switch (records[i]) {
    case INPUT.event:
      runtime.event(records[i + 1] as EventEntry)
      return i + 2
    case INPUT.wsMessage: {
      const className = records[i + 2] as string | undefined
      let object: ObjectAddress | undefined
      if (className !== undefined) {
        object = { className, objectId: records[i + 3] as string }
        if (records[i + 4] !== undefined) object.name = records[i + 4] as string
      }
      const event = { type: 'ws-message', eventId: records[i + 1], appId: '', version: 0, object, socketId: records[i + 5], data: records[i + 6] } as EventEntry
      if (records[i + 7] !== undefined) event.sockets = records[i + 7] as SocketRecord[]
      runtime.event(event)
      return i + 8
    }
    case INPUT.rpc:
      runtime.apply({ t: 'rpc', id: records[i + 1] as number, ok: records[i + 2] as boolean, value: records[i + 3], error: records[i + 3] as string })
      return i + 4
    case INPUT.timer:
      runtime.apply({ t: 'timer', id: records[i + 1] as number })
      return i + 2
    case INPUT.sweep:
      runtime.apply({ t: 'sweep' })
      return i + 1
    case INPUT.evictAll:
      runtime.apply({ t: 'evict-all' })
      return i + 1
    default:
      throw new Error(`unknown input record ${String(records[i])}`)
  }
}
