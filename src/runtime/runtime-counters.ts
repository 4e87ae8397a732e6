/**
 * Plain counters of the app runtime, read by logs and tests now and by metrics later. One
 * object per edge; every field only grows.
 */
export class RuntimeCounters {
  /** Events sent to runners (fetch, ws-message, ws-close, ws-error, alarm). */
  eventsSent = 0
  /** Events whose runner died before answering: fetch → 503, messages lost. */
  eventsLost = 0
  /** Client messages dropped because the target was gone (runner died, object overloaded). */
  messagesLost = 0
  /** Client sockets closed because their object had too many pending events. */
  overloadCloses = 0
  /** Client messages answered by an auto-response pair without waking the object. */
  autoResponses = 0
  /** Events that ended with the app's isolate killed by its CPU or memory limit. */
  limitKills = 0
  isolateRestarts = 0
  /** Runner processes that died or were killed (heartbeat) and were replaced. */
  runnerRestarts = 0
  /** Outbound fetch() calls refused by fetch_allow. */
  fetchDenied = 0
  storageCommits = 0
  storageErrors = 0
  alarmsFired = 0
  deploys = 0
  deploysRefused = 0
  socketsOpened = 0
  socketsClosed = 0
  /** Messages written to client sockets (one per socket for a fan-out). */
  messagesOut = 0
  messagesIn = 0

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>
  }
}
