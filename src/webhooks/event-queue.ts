/**
 * A bounded FIFO on a ring buffer: push and shift are O(1) and never allocate once the ring
 * has grown. When full, a push drops the oldest item and reports it, so a receiver that is
 * down costs at most `capacity` items of memory.
 */
export class EventQueue<T> {
  readonly capacity: number
  #items: (T | undefined)[] = []
  #head = 0
  #size = 0

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
  }

  get size(): number {
    return this.#size
  }

  /** Adds at the tail; returns true when the oldest item had to be dropped to make room. */
  push(item: T): boolean {
    if (this.#size === this.capacity) {
      this.#items[this.#head] = item
      this.#head = (this.#head + 1) % this.capacity
      return true
    }
    // The ring grows by doubling up to capacity, so an idle site's queue stays small.
    if (this.#size === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#size) % this.#items.length] = item
    this.#size++
    return false
  }

  /** Removes and returns up to `count` items from the head, oldest first. */
  take(count: number): T[] {
    const taken: T[] = []
    while (taken.length < count && this.#size > 0) {
      taken.push(this.#items[this.#head] as T)
      this.#items[this.#head] = undefined
      this.#head = (this.#head + 1) % this.#items.length
      this.#size--
    }
    return taken
  }

  #grow(): void {
    const length = Math.min(this.capacity, Math.max(16, this.#items.length * 2))
    const items: (T | undefined)[] = new Array(length)
    for (let index = 0; index < this.#size; index++) items[index] = this.#items[(this.#head + index) % this.#items.length]
    this.#items = items
    this.#head = 0
  }
}
