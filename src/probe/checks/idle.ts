import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import { describeClose, type CloseInfo, type Inbox } from '../inbox.js'
import { formatMs } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, sleep, type CheckContext, type CheckDefinition } from './check.js'

const PING_EVERY_MS = 1000
const MIN_BUDGET_MS = 1000

interface Watched {
  ws: WebSocket
  inbox: Inbox
  openedAt: number
  id: string
}

async function open(context: CheckContext, label: string): Promise<Watched> {
  const id = `idle-${label}-${randomUUID()}`
  const { ws, inbox } = await context.connect('silent', { query: { id } })
  return { ws, inbox, openedAt: performance.now(), id }
}

const lifetime = (watched: Watched, close: CloseInfo): number => close.at - watched.openedAt

/** What the origin saw when the silent connection died: tells a path that closed both legs from one that did not. */
async function originView(context: CheckContext, id: string): Promise<string> {
  try {
    const { inbox } = await context.connect('report', { query: { id, wait: 1500 } })
    const report = await inbox.nextJson<{ close: { code: number; reason: string; afterMs: number } | null }>(5000)
    return report.close ? `origin saw ${describeClose(report.close)} after ${formatMs(report.close.afterMs)}` : 'origin leg still open'
  } catch (error) {
    return `origin report unavailable (${errorText(error)})`
  }
}

/**
 * Idle-timeout search: a silent connection (no data, no pings either way) is held until it dies
 * or the budget runs out, next to one the client pings every second. The silent one's death is
 * the idle timeout; if the pinged one dies at the same time it is a connection lifetime limit.
 * Runs in the background for the whole budget while the other checks run.
 */
export const idleCheck: CheckDefinition = {
  id: 'idle',
  title: 'Idle timeout',
  background: true,
  async run(context): Promise<CheckOutcome> {
    if (context.options.budgetMs < MIN_BUDGET_MS) {
      return { status: 'n/a', summary: 'no budget', evidence: `budget ${formatMs(context.options.budgetMs)} is under ${formatMs(MIN_BUDGET_MS)}: idle search not run`, metrics: { timeoutMs: null, atLeastMs: null } }
    }
    const deadline = context.runStartedAt + context.options.budgetMs
    let silent: Watched
    let pinged: Watched
    try {
      ;[silent, pinged] = await Promise.all([open(context, 'silent'), open(context, 'pinged')])
    } catch (error) {
      return { status: 'fail', summary: 'no connection', evidence: `could not open /silent: ${errorText(error)}` }
    }
    const pinger = setInterval(() => pinged.ws.ping(), PING_EVERY_MS)
    try {
      for (;;) {
        const now = performance.now()
        const died = silent.inbox.closeInfo
        const settled = died && (pinged.inbox.closeInfo || now - silent.openedAt >= Math.max(2 * lifetime(silent, died), lifetime(silent, died) + 2000))
        if (settled || now >= deadline || context.signal.aborted) break
        context.progress(died ? `silent closed after ${formatMs(lifetime(silent, died))}, watching the pinged one` : `silent open ${formatMs(now - silent.openedAt)} of ${formatMs(deadline - silent.openedAt)}`)
        await sleep(Math.min(250, deadline - now), context.signal)
      }
    } finally {
      clearInterval(pinger)
    }
    return verdict(context, silent, pinged)
  },
}

async function verdict(context: CheckContext, silent: Watched, pinged: Watched): Promise<CheckOutcome> {
  const died = silent.inbox.closeInfo
  const heldMs = performance.now() - silent.openedAt
  silent.ws.terminate()
  pinged.ws.close(1000)
  if (!died) {
    return {
      status: 'pass',
      summary: `≥ ${formatMs(heldMs)}`,
      evidence: `a silent connection stayed open for the whole budget (${formatMs(heldMs)}): idle timeout ≥ ${formatMs(heldMs)}`,
      metrics: { timeoutMs: null, atLeastMs: Math.round(heldMs) },
    }
  }
  const timeoutMs = lifetime(silent, died)
  const pingedClose = pinged.inbox.closeInfo
  const pingedText = pingedClose
    ? `a connection pinged every ${formatMs(PING_EVERY_MS)} also closed after ${formatMs(lifetime(pinged, pingedClose))} (${describeClose(pingedClose)}): a connection lifetime limit rather than idleness`
    : `a connection pinged every ${formatMs(PING_EVERY_MS)} stayed open ${formatMs(performance.now() - pinged.openedAt)}: pings keep connections alive`
  const origin = await originView(context, silent.id)
  const ok = timeoutMs >= context.options.minIdleMs
  return {
    status: ok ? 'pass' : 'fail',
    summary: formatMs(timeoutMs),
    evidence:
      `silent connection closed after ${formatMs(timeoutMs)} with ${describeClose(died)}; ${origin}; ${pingedText}` +
      (ok ? '' : `; shorter than the ${formatMs(context.options.minIdleMs)} minimum (--min-idle)`),
    metrics: { timeoutMs: Math.round(timeoutMs), atLeastMs: Math.round(timeoutMs), pingedSurvived: !pingedClose },
  }
}
