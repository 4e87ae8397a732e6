import type { WebSocket } from 'ws'

export interface Message {
  data: Buffer
  binary: boolean
  at: number
}

export interface CloseInfo {
  code: number
  reason: string
  at: number
}

/** The connection closed while a message was awaited; `close` says how. */
export class ClosedError extends Error {
  constructor(readonly close: CloseInfo) {
    super(`connection closed ${describeClose(close)}`)
  }
}

export function describeClose(close: { code: number; reason: string }): string {
  return `${close.code} '${close.reason}'`
}

/** Queues a socket's messages and close so checks can `await next()` in sequence. */
export class Inbox {
  #queue: Message[] = []
  #waiter: (() => void) | undefined
  #close: CloseInfo | undefined
  #closeWaiters = new Set<() => void>()

  constructor(ws: WebSocket) {
    ws.on('message', (data, binary) => {
      this.#queue.push({ data: data as Buffer, binary, at: performance.now() })
      this.#waiter?.()
    })
    ws.on('close', (code, reason) => {
      this.#close = { code, reason: reason.toString(), at: performance.now() }
      this.#waiter?.()
      for (const wake of this.#closeWaiters) wake()
    })
  }

  get closeInfo(): CloseInfo | undefined {
    return this.#close
  }

  /** The next message; rejects with ClosedError when the connection closes first. */
  async next(timeoutMs: number): Promise<Message> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const message = this.#queue.shift()
      if (message) return message
      if (this.#close) throw new ClosedError(this.#close)
      const remaining = deadline - performance.now()
      if (remaining <= 0) throw new Error(`no message within ${Math.round(timeoutMs)} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining)
        const self = this
        function wake(): void {
          clearTimeout(timer)
          self.#waiter = undefined
          resolve()
        }
        this.#waiter = wake
      })
    }
  }

  async nextJson<T>(timeoutMs: number): Promise<T> {
    const message = await this.next(timeoutMs)
    return JSON.parse(message.data.toString()) as T
  }

  /** The close, or undefined if it has not come within `timeoutMs`. */
  async closed(timeoutMs: number): Promise<CloseInfo | undefined> {
    if (this.#close || timeoutMs <= 0) return this.#close
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, timeoutMs)
      const waiters = this.#closeWaiters
      function wake(): void {
        clearTimeout(timer)
        waiters.delete(wake)
        resolve()
      }
      waiters.add(wake)
    })
    return this.#close
  }
}
