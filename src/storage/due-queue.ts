/** One scheduled time; `version` tells a current entry from one replaced since (lazy removal). */
export interface DueItem {
  time: number
  key: string
  version: number
}

/**
 * A binary min-heap of due times (ties in push order, as versions only grow). Replaced or
 * cancelled entries are not removed from the middle; the owner skips stale items at the top
 * and rebuilds the heap when too many pile up.
 */
export class DueQueue {
  #heap: DueItem[] = []

  get length(): number {
    return this.#heap.length
  }

  peek(): DueItem | undefined {
    return this.#heap[0]
  }

  push(item: DueItem): void {
    const heap = this.#heap
    heap.push(item)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(heap[index]!, heap[parent]!)) break
      swap(heap, index, parent)
      index = parent
    }
  }

  pop(): DueItem | undefined {
    const heap = this.#heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last
      this.#siftDown(0)
    }
    return top
  }

  /** Replaces the content (used to drop stale items). */
  reset(items: DueItem[]): void {
    this.#heap = items.slice()
    for (let index = (this.#heap.length >> 1) - 1; index >= 0; index--) this.#siftDown(index)
  }

  #siftDown(index: number): void {
    const heap = this.#heap
    for (;;) {
      const left = index * 2 + 1
      const right = left + 1
      let smallest = index
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right
      if (smallest === index) return
      swap(heap, index, smallest)
      index = smallest
    }
  }
}

function before(a: DueItem, b: DueItem): boolean {
  return a.time < b.time || (a.time === b.time && a.version < b.version)
}

function swap(heap: DueItem[], a: number, b: number): void {
  const item = heap[a]!
  heap[a] = heap[b]!
  heap[b] = item
}
