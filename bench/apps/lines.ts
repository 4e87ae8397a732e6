import type { Child } from '../proxy/processes.js'

type Line = Record<string, unknown>

/**
 * The JSON lines a child prints on stdout, kept in order so several awaits in a row never
 * lose a line that arrived in the same chunk as an earlier one. Non-JSON lines (logs) are
 * skipped. `{"error": "..."}` fails the pending wait.
 */
export class Lines {
  readonly #child: Child
  readonly #lines: Line[] = []
  #partial = ''
  #wake: (() => void) | undefined
  #ended = false

  constructor(child: Child) {
    this.#child = child
    child.process.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const parts = (this.#partial + text).split('\n')
      this.#partial = parts.pop()!
      for (const part of parts) {
        try {
          const parsed = JSON.parse(part) as unknown
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) this.#lines.push(parsed as Line)
        } catch {
          // a log line
        }
      }
      this.#wake?.()
    })
    child.process.once('exit', () => {
      this.#ended = true
      this.#wake?.()
    })
  }

  /** The first line (from now on, in order) for which `pick` returns a value. */
  async next<T>(pick: (line: Line) => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      while (this.#lines.length > 0) {
        const line = this.#lines.shift()!
        if (typeof line.error === 'string') throw new Error(`${this.#child.name}: ${line.error}${this.#tail()}`)
        const value = pick(line)
        if (value !== undefined) return value
      }
      if (this.#ended) throw new Error(`${this.#child.name}: exited (code ${this.#child.process.exitCode}, signal ${this.#child.process.signalCode})${this.#tail()}`)
      const left = deadline - performance.now()
      if (left <= 0) throw new Error(`${this.#child.name}: no answer within ${timeoutMs} ms${this.#tail()}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#wake = () => {
          clearTimeout(timer)
          this.#wake = undefined
          resolve()
        }
      })
    }
  }

  #tail(): string {
    const tail = this.#child.stderrTail()
    return tail ? `\n${tail.split('\n').slice(-8).join('\n')}` : ''
  }
}
