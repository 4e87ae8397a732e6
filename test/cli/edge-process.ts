import type { ChildProcess } from 'node:child_process'
import { after } from 'node:test'
import { spawnWedge } from './run-wedge.js'

export interface LogLine {
  msg: string
  [key: string]: unknown
}

/** A `wedge start` child process whose JSON log lines (stdout is not a TTY) can be awaited. */
export class EdgeProcess {
  readonly child: ChildProcess
  readonly logs: LogLine[] = []
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  #waiters: Array<() => void> = []

  constructor(args: string[], cwd: string) {
    this.child = spawnWedge(['start', ...args], { cwd })
    let pending = ''
    this.child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) this.logs.push(JSON.parse(line) as LogLine)
      for (const wake of this.#waiters) wake()
    })
    this.child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString() })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })))
    after(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    })
  }

  /** The first log line (from index `from` on) that matches; rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, options: { from?: number; timeoutMs?: number } = {}): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.logs.slice(options.from ?? 0).find(match)
        if (found) resolve(found)
        return found !== undefined
      }
      if (check()) return
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== wake)
        reject(new Error(`no matching log line in ${options.timeoutMs ?? 10_000}ms; logs:\n${this.logs.map((line) => JSON.stringify(line)).join('\n')}\nstderr:\n${this.stderr}`))
      }, options.timeoutMs ?? 10_000)
      const wake = (): void => {
        if (check()) {
          clearTimeout(timer)
          this.#waiters = this.#waiters.filter((waiter) => waiter !== wake)
        }
      }
      this.#waiters.push(wake)
    })
  }

  /** The port of the first plain listener, from the `listening` log line. */
  async port(): Promise<number> {
    const line = await this.waitForLog((entry) => entry.msg === 'listening')
    return Number(String(line['address']).split(':').pop())
  }
}
