import type { AppStorage } from '../storage/app-storage.js'
import type { ObjectAddress, RpcCall, WireRequest, WireResponse } from './runner-protocol.js'
import { FetchNotAllowedError, type OutboundFetch } from './outbound-fetch.js'
import type { RuntimeCounters } from './runtime-counters.js'

export interface AppRpcContext {
  storage: AppStorage
  outbound: OutboundFetch
  counters: RuntimeCounters
  /** Durable Object classes of the current version: storage is only addressed for these. */
  classes(): ReadonlySet<string>
  fetchAllow(): readonly string[]
  /** A fetch event to an object through its queue. */
  fetchObject(object: ObjectAddress, request: WireRequest): Promise<WireResponse>
}

const OBJECT_ID = /^[0-9a-f]{64}$/

/**
 * Answers a runner's `rpc` entries for one app. Storage calls are synchronous (SQLite);
 * object-fetch and outbound fetch are asynchronous. Throws (or rejects) with the message the
 * app's promise rejects with.
 */
export function answerRpc(context: AppRpcContext, call: RpcCall): unknown {
  switch (call.op) {
    case 'storage-get':
      return context.storage.get(checkObject(context, call.object), call.keys)
    case 'storage-list':
      return context.storage.list(checkObject(context, call.object), call.options)
    case 'storage-get-alarm':
      return context.storage.getAlarm(checkObject(context, call.object))
    case 'object-fetch':
      return context.fetchObject(checkObject(context, call.object), call.request)
    case 'fetch':
      return context.outbound.fetch(call.request, context.fetchAllow()).catch((error: unknown) => {
        if (error instanceof FetchNotAllowedError) context.counters.fetchDenied++
        throw error
      })
    case 'crypto':
      throw new Error('crypto is computed in the runner, not the gateway')
    default:
      throw new Error(`unknown rpc ${(call as { op?: unknown }).op as string}`)
  }
}

function checkObject(context: AppRpcContext, object: ObjectAddress): ObjectAddress {
  if (!object || typeof object.objectId !== 'string' || !OBJECT_ID.test(object.objectId)) throw new Error('invalid Durable Object id')
  if (!context.classes().has(object.className)) throw new Error(`no Durable Object class "${String(object.className)}" in this app`)
  return object
}
