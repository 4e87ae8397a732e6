import WebSocket, { type ClientOptions } from 'ws'

export interface ClosedEvent {
  code: number
  reason: string
}

/** Opens a `ws` client and resolves once open (rejects with the HTTP status on refusal). */
export function connect(url: string, protocols?: string | string[], options?: ClientOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options)
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => { body += chunk.toString() })
      res.on('end', () => reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { status: res.statusCode, body, headers: res.headers })))
    })
    ws.once('error', reject)
  })
}

export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })))
}

export function closed(ws: WebSocket): Promise<ClosedEvent> {
  return new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })))
}
