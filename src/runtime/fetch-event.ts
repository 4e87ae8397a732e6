import type { ObjectAddress, WireRequest } from './runner-protocol.js'
import type { EventDone } from './runner-process.js'
import type { AppEvent, EventRouter } from './event-router.js'
import type { SocketIo } from './socket-io.js'
import type { FetchResult } from './app-site.js'

export interface FetchEventContext {
  appId: string
  router: EventRouter
  io: SocketIo
  timeoutMs: number
  outcome(entry: EventDone, what: string, object: ObjectAddress | undefined): void
}

/**
 * One `fetch` event, to the stateless Worker or (object-fetch) through an object's queue.
 * A 101 carrying a WebSocket binds that pending socket to the version and object that
 * accepted it, whether or not the caller still waits (a timed-out upgrade is abandoned
 * by its caller and the binding then finds no socket).
 */
export function fetchEvent(context: FetchEventContext, object: ObjectAddress | undefined, request: WireRequest): Promise<FetchResult> {
  return new Promise((resolve) => {
    let settled = false
    const settle = (result: FetchResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const timer = setTimeout(() => settle({ failure: 'WEDGE_APP_TIMEOUT' }), context.timeoutMs)
    let sentVersion = 0
    const event: AppEvent = {
      make: (eventId, version, sockets) => {
        sentVersion = version
        return { type: 'fetch', eventId, appId: context.appId, version, object, sockets, request }
      },
      done: (entry) => {
        const webSocket = entry.response?.status === 101 ? entry.response.webSocket : undefined
        if (webSocket) context.io.bind(webSocket, sentVersion, object)
        if (entry.limit !== undefined || entry.error !== undefined) context.outcome(entry, 'fetch', object)
        if (entry.limit !== undefined) settle({ failure: 'WEDGE_APP_LIMIT' })
        else if (entry.error !== undefined || !entry.response) settle({ failure: 'WEDGE_APP_ERROR', detail: entry.error })
        else settle({ response: entry.response })
      },
      lost: (reason) => settle({ failure: 'WEDGE_APP_UNAVAILABLE', detail: reason }),
    }
    if (!object) context.router.toWorker(event)
    else if (!context.router.toObject(object, event)) settle({ failure: 'WEDGE_OBJECT_OVERLOADED' })
  })
}
