import { DurableObject } from 'cloudflare:workers'

/**
 * One Counter Durable Object per name, reached over HTTP:
 *
 *   GET  …/counters/NAME               {"name","count","snapshot","nextSnapshotAt"}
 *   POST …/counters/NAME/increment     adds 1 (or ?by=N, 1 to 1000); answers like GET
 *
 * The count is in the object's storage. The first change after a snapshot sets an alarm
 * SNAPSHOT_DELAY_MS later; the alarm copies the count into `snapshot` with its time.
 */
export interface Env {
  COUNTERS: DurableObjectNamespace<Counter>
  SNAPSHOT_DELAY_MS: string
}

interface Snapshot {
  count: number
  at: number
}

const COUNTER_PATH = /\/counters\/([A-Za-z0-9_-]{1,40})(\/increment)?\/?$/

export class Counter extends DurableObject<Env> {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const [, name, increment] = COUNTER_PATH.exec(url.pathname) ?? []
    if (name === undefined) return new Response('not found', { status: 404 })
    if (increment) {
      if (request.method !== 'POST') return new Response('use POST', { status: 405, headers: { Allow: 'POST' } })
      const by = Number(url.searchParams.get('by') ?? 1)
      if (!Number.isInteger(by) || by < 1 || by > 1000) return new Response('?by= takes a whole number from 1 to 1000', { status: 400 })
      await this.#increment(by)
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('use GET', { status: 405, headers: { Allow: 'GET, HEAD' } })
    }
    return Response.json({ name, ...(await this.#read()) })
  }

  async alarm(): Promise<void> {
    const snapshot: Snapshot = { count: (await this.ctx.storage.get<number>('count')) ?? 0, at: Date.now() }
    await this.ctx.storage.put('snapshot', snapshot)
    console.log(`snapshot: ${snapshot.count}`)
  }

  async #increment(by: number): Promise<void> {
    const count = ((await this.ctx.storage.get<number>('count')) ?? 0) + by
    await this.ctx.storage.put('count', count)
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + (Number(this.env.SNAPSHOT_DELAY_MS) || 10_000))
    }
  }

  async #read(): Promise<{ count: number; snapshot: Snapshot | null; nextSnapshotAt: number | null }> {
    const values = await this.ctx.storage.get<number | Snapshot>(['count', 'snapshot'])
    return {
      count: (values.get('count') as number | undefined) ?? 0,
      snapshot: (values.get('snapshot') as Snapshot | undefined) ?? null,
      nextSnapshotAt: await this.ctx.storage.getAlarm(),
    }
  }
}

export default {
  async fetch(request, env): Promise<Response> {
    const name = COUNTER_PATH.exec(new URL(request.url).pathname)?.[1]
    if (name === undefined) {
      return new Response('GET …/counters/NAME reads a counter; POST …/counters/NAME/increment adds one.\n', { status: 404 })
    }
    return env.COUNTERS.get(env.COUNTERS.idFromName(name)).fetch(request)
  },
} satisfies ExportedHandler<Env>
