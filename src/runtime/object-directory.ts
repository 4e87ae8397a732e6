import type { ObjectAddress } from './runner-protocol.js'

/**
 * Where a Durable Object lives. One node hosts each object id at a time (Cloudflare's
 * "exactly one live instance"); the cluster issue adds a NATS-backed directory that places
 * objects across edges. The answer for an object must stay the same while it has events
 * pending or sockets attached.
 */
export interface ObjectDirectory {
  place(appId: string, object: ObjectAddress): Promise<'local' | { node: string }>
}

/** A single edge: every object is local. */
export class LocalObjectDirectory implements ObjectDirectory {
  place(): Promise<'local'> {
    return Promise.resolve('local')
  }
}
