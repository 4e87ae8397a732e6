/** Minimal DOM events (Event, EventTarget, MessageEvent, CloseEvent, ErrorEvent) for WebSocket. */

export class Event {
  readonly type: string
  readonly timeStamp = Date.now()
  #defaultPrevented = false
  readonly cancelable: boolean
  constructor(type: string, init: { cancelable?: boolean } = {}) {
    if (arguments.length === 0) throw new TypeError('Event constructor requires a type')
    this.type = String(type)
    this.cancelable = Boolean(init.cancelable)
  }
  get defaultPrevented(): boolean {
    return this.#defaultPrevented
  }
  preventDefault(): void {
    if (this.cancelable) this.#defaultPrevented = true
  }
  stopPropagation(): void {}
  stopImmediatePropagation(): void {}
}

export class MessageEvent extends Event {
  readonly data: unknown
  constructor(type: string, init: { data?: unknown } = {}) {
    super(type)
    this.data = init.data
  }
}

export class CloseEvent extends Event {
  readonly code: number
  readonly reason: string
  readonly wasClean: boolean
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type)
    this.code = init.code ?? 0
    this.reason = init.reason ?? ''
    this.wasClean = init.wasClean ?? false
  }
}

export class ErrorEvent extends Event {
  readonly message: string
  readonly error: unknown
  constructor(type: string, init: { message?: string; error?: unknown } = {}) {
    super(type)
    this.message = init.message ?? ''
    this.error = init.error
  }
}

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown }

interface Registration {
  listener: Listener
  once: boolean
}

export class EventTarget {
  #listeners = new Map<string, Registration[]>()

  addEventListener(type: string, listener: Listener | null, options?: boolean | { once?: boolean }): void {
    if (listener == null) return
    const list = this.#listeners.get(type) ?? []
    if (list.some((entry) => entry.listener === listener)) return
    list.push({ listener, once: typeof options === 'object' && options !== null && Boolean(options.once) })
    this.#listeners.set(type, list)
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const list = this.#listeners.get(type)
    if (list === undefined) return
    const index = list.findIndex((entry) => entry.listener === listener)
    if (index >= 0) list.splice(index, 1)
  }

  /**
   * Calls the listeners in order. The first error thrown by a listener is rethrown after all
   * listeners ran (the runner reports it as the event's error).
   */
  dispatchEvent(event: Event): boolean {
    const list = this.#listeners.get(event.type)
    const handler = (this as unknown as Record<string, unknown>)[`on${event.type}`]
    let failure: { error: unknown } | undefined
    const call = (listener: Listener): void => {
      try {
        if (typeof listener === 'function') listener.call(this, event)
        else listener.handleEvent(event)
      } catch (error) {
        failure ??= { error }
      }
    }
    if (typeof handler === 'function') call(handler as Listener)
    if (list !== undefined) {
      for (const entry of [...list]) {
        if (entry.once) this.removeEventListener(event.type, entry.listener)
        call(entry.listener)
      }
    }
    if (failure !== undefined) throw failure.error
    return !event.defaultPrevented
  }
}
