/**
 * Smooth weighted round robin, as in nginx's ngx_http_upstream_get_peer: each pick adds
 * every candidate's weight to its running score, takes the highest score (first on ties)
 * and subtracts the candidates' total weight from it. Weights 5,1,1 give a a b a c a a:
 * the heavy origin is spread out instead of getting five in a row.
 */
export class SmoothRoundRobin<T extends { weight: number }> {
  // Weak so that origins dropped by a reload take their scores with them.
  #scores = new WeakMap<T, number>()

  /** The next item among `candidates` (the ones usable for this pick). */
  pick(candidates: readonly T[]): T | undefined {
    let best: T | undefined
    let bestScore = -Infinity
    let total = 0
    for (const candidate of candidates) {
      const score = (this.#scores.get(candidate) ?? 0) + candidate.weight
      this.#scores.set(candidate, score)
      total += candidate.weight
      if (score > bestScore) {
        best = candidate
        bestScore = score
      }
    }
    if (best !== undefined) this.#scores.set(best, bestScore - total)
    return best
  }
}
