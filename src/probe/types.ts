/** Result of one check: the verdict, a short cell for comparison tables, and the evidence. */
export type CheckStatus = 'pass' | 'fail' | 'n/a'

export type MetricValue = number | string | boolean | null

export interface CheckOutcome {
  status: CheckStatus
  /** A few words for a comparison table cell, e.g. "101 in 4 ms" or "p50 0.3 ms". */
  summary: string
  /** What was sent and what came back, e.g. "sent 4001 'bye', origin received 1000 ''". */
  evidence: string
  metrics?: Record<string, MetricValue>
}

export interface CheckResult extends CheckOutcome {
  id: string
  title: string
  required: boolean
  durationMs: number
}

/** The document written by `--json` and read by `--compare` (see docs/probe.md). */
export interface ProbeResult {
  format: 'wedge-probe/1'
  url: string
  startedAt: string
  durationMs: number
  options: {
    budgetMs: number
    maxSize: number
    concurrency: number
    minIdleMs: number
    required: string[]
  }
  checks: CheckResult[]
  /** True when no required check failed. */
  ok: boolean
}

export type ProgressEvent =
  | { type: 'start'; id: string; title: string; index: number; total: number }
  | { type: 'progress'; id: string; text: string }
  | { type: 'end'; result: CheckResult; index: number; total: number }

export interface ProbeOptions {
  /** How long the idle-timeout search may hold a silent connection (default 10 min). */
  budgetMs?: number
  /** Largest message used by the echo and big-message checks (default 16 MiB). */
  maxSize?: number
  /** Connections the concurrency check opens at once (default 100). */
  concurrency?: number
  /** Idle timeouts shorter than this fail the idle check (default 30 s). */
  minIdleMs?: number
  /** Per-check time limit, the idle check excepted (default 60 s). */
  checkTimeoutMs?: number
  only?: string[]
  skip?: string[]
  /** Checks whose failure makes `ok` false (default handshake, echo, close, subprotocol, ping). */
  required?: string[]
  /** Extra handshake headers, e.g. an authorization header the path needs. */
  headers?: Record<string, string>
  /** Accept any TLS certificate (wss:// to a test host). */
  insecure?: boolean
  onProgress?: (event: ProgressEvent) => void
}

export type ResolvedProbeOptions = Required<Omit<ProbeOptions, 'only' | 'skip' | 'onProgress'>>
