import type { Connector } from '../connection.js'
import type { CheckOutcome, ResolvedProbeOptions } from '../types.js'

export interface CheckContext {
  /** The probe URL: the base that endpoint names are appended to. */
  url: URL
  options: ResolvedProbeOptions
  connect: Connector
  /** A short status for the progress display ("binary 4 MiB"). */
  progress(text: string): void
  /** performance.now() when the run started: the idle search's budget counts from here. */
  runStartedAt: number
  /** Aborted when the check runs out of time; sockets are closed for the check either way. */
  signal: AbortSignal
}

export interface CheckDefinition {
  id: string
  title: string
  /** Runs alongside the others for the whole budget instead of in sequence (the idle search). */
  background?: boolean
  run(context: CheckContext): Promise<CheckOutcome>
}

/** Time allowed for one message of `size` bytes to make a round trip: 10 s plus 2 s per MiB. */
export function transferTimeout(size: number): number {
  return 10_000 + (size / 1024 ** 2) * 2000
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}
