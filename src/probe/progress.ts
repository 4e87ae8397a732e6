import { formatMs } from './payload.js'
import type { ProgressEvent } from './types.js'

const REDRAW_MS = 250

/**
 * Progress on stderr. On a TTY: a finished line per check plus one status line redrawn in place.
 * Otherwise (CI logs): one plain line per finished check, nothing redrawn.
 */
export class ProgressDisplay {
  #stream: NodeJS.WriteStream
  #active = new Map<string, string>()
  #done = 0
  #total = 0
  #started = performance.now()
  #timer: NodeJS.Timeout | undefined

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream
    if (stream.isTTY) this.#timer = setInterval(() => this.#draw(), REDRAW_MS)
  }

  readonly onProgress = (event: ProgressEvent): void => {
    if (event.type === 'start') {
      this.#total = event.total
      this.#active.set(event.id, '')
    } else if (event.type === 'progress') {
      if (this.#active.has(event.id)) this.#active.set(event.id, event.text)
    } else {
      this.#done = event.index
      this.#active.delete(event.result.id)
      const { result } = event
      this.#line(`[${event.index}/${event.total}] ${result.id} ${result.status === 'fail' ? 'FAIL' : result.status} (${formatMs(result.durationMs)}) ${result.summary}`)
    }
  }

  stop(): void {
    clearInterval(this.#timer)
    if (this.#stream.isTTY) this.#stream.write('\r\x1b[K')
  }

  #line(text: string): void {
    if (this.#stream.isTTY) this.#stream.write(`\r\x1b[K${text}\n`)
    else this.#stream.write(`probe: ${text}\n`)
  }

  #draw(): void {
    const running = [...this.#active].map(([id, text]) => (text ? `${id}: ${text}` : id)).join(' · ')
    const status = `[${this.#done}/${this.#total}] ${formatMs(performance.now() - this.#started)} ${running}`
    const width = this.#stream.columns || 80
    this.#stream.write(`\r\x1b[K${[...status].slice(0, width - 1).join('')}`)
  }
}
