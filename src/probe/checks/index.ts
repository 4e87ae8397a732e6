import { bigCheck } from './big.js'
import type { CheckDefinition } from './check.js'
import { closeCheck } from './close.js'
import { concurrencyCheck } from './concurrency.js'
import { deflateCheck } from './deflate.js'
import { echoCheck } from './echo.js'
import { fragmentsCheck } from './fragments.js'
import { handshakeCheck } from './handshake.js'
import { headersCheck } from './headers.js'
import { idleCheck } from './idle.js'
import { latencyCheck } from './latency.js'
import { pingCheck } from './ping.js'
import { pushCheck } from './push.js'
import { reconnectCheck } from './reconnect.js'
import { subprotocolCheck } from './subprotocol.js'
import { throughputCheck } from './throughput.js'

/** Every check, in report order. The handshake runs first: when it fails nothing else can run. */
export const CHECKS: readonly CheckDefinition[] = [
  handshakeCheck,
  subprotocolCheck,
  deflateCheck,
  echoCheck,
  fragmentsCheck,
  pingCheck,
  closeCheck,
  headersCheck,
  pushCheck,
  bigCheck,
  idleCheck,
  latencyCheck,
  throughputCheck,
  concurrencyCheck,
  reconnectCheck,
]

export const CHECK_IDS = CHECKS.map((check) => check.id)

/** Checks whose failure makes `wedge probe` exit 1 unless --required says otherwise. */
export const DEFAULT_REQUIRED = ['handshake', 'echo', 'close', 'subprotocol', 'ping'] as const
