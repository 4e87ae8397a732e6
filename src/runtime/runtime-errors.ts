/**
 * Refusals and forced closes of the app runtime. These belong in the edge's error catalogue
 * (`src/errors.ts`); they live here until it gains entries for origin-less sites, with the
 * same shape so moving them is mechanical.
 */
export const RuntimeErrors = {
  /** The app threw, or answered with something that is not a valid response. */
  APP_ERROR: { status: 500, close: 1011, message: 'The app failed to handle the request' },
  /** The app's isolate hit its CPU or memory limit (Cloudflare's error 1102). */
  APP_LIMIT: { status: 503, close: 1011, message: 'The app exceeded its resource limits' },
  /** The runner hosting the app died while the event was in flight. */
  APP_UNAVAILABLE: { status: 503, close: 1012, message: 'The app is restarting' },
  APP_TIMEOUT: { status: 504, close: 1011, message: 'The app did not answer in time' },
  /** Too many events waiting for one Durable Object (RFC 6455 §7.4.1 1013: try again later). */
  OBJECT_OVERLOADED: { status: 503, close: 1013, message: 'object overloaded' },
  /** Runner restarted: 'accept'-mode sockets lose their in-memory listeners (1012 service restart). */
  RUNNER_RESTARTED: { status: 503, close: 1012, message: 'app restarted' },
  REQUEST_TOO_LARGE: { status: 413, close: 1009, message: 'Request body exceeds 32 MiB' },
} as const

export type RuntimeErrorCode = keyof typeof RuntimeErrors
