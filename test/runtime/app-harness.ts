import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import WebSocket, { type ClientOptions } from 'ws'
import { startEdge, type RunningEdge } from '../helpers/edge-harness.js'

/** A temp directory for one test's app files and data_dir, removed after the test. */
export function tempApp(t: TestContext, files: Record<string, string>): { dir: string; dataDir: string; file(name: string): string; write(name: string, text: string): string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'wedge-app-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
    return file
  }
  for (const [name, text] of Object.entries(files)) write(name, text)
  return { dir, dataDir: path.join(dir, 'data'), file: (name) => path.join(dir, name), write }
}

/** Starts an edge whose sites are the given app sites; stopped after the test. */
export async function startAppEdge(t: TestContext, dataDir: string, sites: Record<string, unknown>[], runtime: Record<string, unknown> = { runners: 1, spare: true }): Promise<RunningEdge> {
  const edge = await startEdge({ data_dir: dataDir, runtime, log: { level: 'debug' }, sites })
  t.after(() => edge.stop())
  return edge
}

/** A client WebSocket whose messages queue up, so a test can await them in order. */
export class Client {
  readonly ws: WebSocket
  readonly #queue: string[] = []
  #waiter: ((message: string) => void) | undefined
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data: Buffer) => {
      const text = data.toString()
      if (this.#waiter) {
        const waiter = this.#waiter
        this.#waiter = undefined
        waiter(text)
      } else {
        this.#queue.push(text)
      }
    })
    this.closed = new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
  }

  static open(t: TestContext, url: string, protocols?: string | string[], options?: ClientOptions): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options)
      t.after(() => ws.terminate())
      const client = new Client(ws)
      ws.once('open', () => resolve(client))
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => { body += chunk.toString() })
        res.on('end', () => reject(Object.assign(new Error(`unexpected response ${res.statusCode}: ${body}`), { status: res.statusCode, body })))
      })
      ws.once('error', reject)
    })
  }

  send(text: string): void {
    this.ws.send(text)
  }

  /** The next message, or a rejection after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<string> {
    const queued = this.#queue.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined
        reject(new Error(`no message within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiter = (message) => {
        clearTimeout(timer)
        resolve(message)
      }
    })
  }

  /** Sends and returns the next message. */
  async ask(text: string, timeoutMs = 5000): Promise<string> {
    this.send(text)
    return this.next(timeoutMs)
  }

  /** Resolves true if no message arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    if (this.#queue.length > 0) return false
    try {
      await this.next(ms)
      return false
    } catch {
      return true
    }
  }

  close(code = 1000, reason = ''): Promise<{ code: number; reason: string }> {
    this.ws.close(code, reason)
    return this.closed
  }
}

/** Log lines the app printed with console.* (Wedge's `app_log` lines), as text. */
export function appLogs(edge: RunningEdge, site?: string): string[] {
  return edge.logs.filter((line) => line.event === 'app_log' && (site === undefined || line.site === site)).map((line) => String(line.msg))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
