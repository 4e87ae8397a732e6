/**
 * Installs the web platform on the isolate's global object and removes what must not be
 * there: WebAssembly (its memory escapes the heap limit) unless allowed, SharedArrayBuffer
 * and Atomics (shared memory and blocking waits).
 */
import { atob, btoa, TextDecoder, TextEncoder } from './encoding.js'
import { console } from './console.js'
import { Crypto, CryptoKey, SubtleCrypto } from './crypto.js'
import { DOMException } from './dom-exception.js'
import { CloseEvent, ErrorEvent, Event, EventTarget, MessageEvent } from './events.js'
import { fetch } from './fetch.js'
import { Headers } from './headers.js'
import { host } from './host-link.js'
import { Request } from './request.js'
import { Response } from './response.js'
import { ReadableStream } from './streams.js'
import { clearInterval, clearTimeout, setInterval, setTimeout } from './timers.js'
import { URL, URLSearchParams } from './url.js'
import { WebSocket, WebSocketPair, WebSocketRequestResponsePair } from './websocket.js'
import { DurableObject, RpcTarget, WorkerEntrypoint } from './workers-module.js'
import { toArrayBuffer } from './bytes.js'
import type { PlatformConfig } from '../isolate-messages.js'

function structuredClone(value: unknown, _options?: unknown): unknown {
  try {
    return host('clone', value)
  } catch (error) {
    throw new DOMException((error as Error).message, 'DataCloneError')
  }
}

function queueMicrotask(callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeError('queueMicrotask needs a function')
  Promise.resolve().then(callback as () => void)
}

export function installGlobals(config: PlatformConfig): void {
  const timeOrigin = Date.now()
  const globals: Record<string | symbol, unknown> = {
    atob, btoa, TextDecoder, TextEncoder, console, Crypto, CryptoKey, SubtleCrypto, crypto: new Crypto(),
    DOMException, CloseEvent, ErrorEvent, Event, EventTarget, MessageEvent, fetch, Headers, Request, Response,
    ReadableStream, clearInterval, clearTimeout, setInterval, setTimeout, URL, URLSearchParams,
    WebSocket, WebSocketPair, WebSocketRequestResponsePair, structuredClone, queueMicrotask,
    self: globalThis,
    navigator: { userAgent: 'Wedge', hardwareConcurrency: 1 },
    performance: { timeOrigin, now: () => Date.now() - timeOrigin },
    // Read by the synthetic `cloudflare:workers` and data modules the runner compiles.
    [Symbol.for('wedge.workers')]: { DurableObject, WorkerEntrypoint, RpcTarget },
    [Symbol.for('wedge.dataModule')]: (specifier: string) => {
      const bytes = config.dataModules[specifier]
      return bytes === undefined ? undefined : toArrayBuffer(bytes)
    },
  }
  for (const key of Reflect.ownKeys(globals)) {
    Object.defineProperty(globalThis, key, { value: globals[key], writable: true, configurable: true, enumerable: false })
  }
  const scope = globalThis as Record<string, unknown>
  if (!config.allowWasm) delete scope.WebAssembly
  delete scope.SharedArrayBuffer
  delete scope.Atomics
}
