/** Virtual nodes per unit of weight: enough for a few percent spread between origins. */
export const POINTS_PER_WEIGHT = 160

/**
 * 32-bit FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so that keys which
 * differ in one trailing character ("origin#1", "origin#2") still land far apart.
 */
export function hash32(text: string): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

/**
 * A consistent-hash ring (Karger et al. 1997) with `POINTS_PER_WEIGHT × weight` points per
 * item. Points derive only from the item's id, so every edge and every reload builds the
 * same ring, and removing an item moves only the keys that item owned.
 */
export class HashRing<T extends { readonly id: string; weight: number }> {
  #points: Uint32Array
  #owners: T[]
  #distinct: number

  constructor(items: readonly T[], pointsPerWeight = POINTS_PER_WEIGHT) {
    const entries: Array<{ point: number; owner: T }> = []
    for (const item of items) {
      for (let index = 0; index < pointsPerWeight * item.weight; index++) {
        entries.push({ point: hash32(`${item.id}#${index}`), owner: item })
      }
    }
    // Colliding points are ordered by id so the winner does not depend on config order.
    entries.sort((a, b) => a.point - b.point || (a.owner.id < b.owner.id ? -1 : a.owner.id > b.owner.id ? 1 : 0))
    this.#points = Uint32Array.from(entries, (entry) => entry.point)
    this.#owners = entries.map((entry) => entry.owner)
    this.#distinct = new Set(items).size
  }

  /**
   * The owner of `key`, or, when `accept` refuses it, the next distinct item clockwise
   * that `accept` takes. Undefined when it refuses every item.
   */
  pick(key: string, accept: (item: T) => boolean): T | undefined {
    const total = this.#points.length
    if (total === 0) return undefined
    const start = this.#firstAtOrAfter(hash32(key))
    const refused = new Set<T>()
    for (let step = 0; step < total && refused.size < this.#distinct; step++) {
      const owner = this.#owners[(start + step) % total]!
      if (refused.has(owner)) continue
      if (accept(owner)) return owner
      refused.add(owner)
    }
    return undefined
  }

  /** Index of the first point ≥ hash, wrapping to 0 past the last. */
  #firstAtOrAfter(hash: number): number {
    let low = 0
    let high = this.#points.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#points[middle]! < hash) low = middle + 1
      else high = middle
    }
    return low === this.#points.length ? 0 : low
  }
}
