import { formatBytes, makePayload } from '../payload.js'
import { roundTrip } from '../round-trip.js'
import type { CheckOutcome } from '../types.js'
import { errorText, transferTimeout, type CheckContext, type CheckDefinition } from './check.js'

/** Frame length encodings change at 126 and 65536 bytes (RFC 6455 §5.2): test each side of both. */
const SIZES = [0, 1, 125, 126, 65_535, 65_536, 65_537, 1024 ** 2, 4 * 1024 ** 2, 16 * 1024 ** 2]

export function echoSizes(maxSize: number): number[] {
  const sizes = SIZES.filter((size) => size <= maxSize)
  if (sizes.at(-1) !== maxSize) sizes.push(maxSize)
  return sizes
}

interface KindResult {
  largestOk: number | null
  failure: string | undefined
}

async function echoKind(context: CheckContext, kind: 'text' | 'binary', sizes: number[]): Promise<KindResult> {
  let largestOk: number | null = null
  let connected
  try {
    connected = await context.connect('echo')
  } catch (error) {
    return { largestOk, failure: `could not connect: ${errorText(error)}` }
  }
  const { ws, inbox } = connected
  for (const size of sizes) {
    context.progress(`${kind} ${formatBytes(size)}`)
    const problem = await roundTrip(ws, inbox, makePayload(size, kind), kind === 'binary', transferTimeout(size))
    if (problem) {
      ws.terminate()
      return { largestOk, failure: `${formatBytes(size)} ${problem}` }
    }
    largestOk = size
  }
  ws.close(1000)
  return { largestOk, failure: undefined }
}

function describe(kind: string, result: KindResult): string {
  if (!result.failure) return `${kind} intact`
  const upTo = result.largestOk === null ? 'nothing echoed' : `intact up to ${formatBytes(result.largestOk)}`
  return `${kind} ${upTo}; ${result.failure}`
}

/** Text and binary messages from 0 B to --max-size echoed by the origin, compared by SHA-256. */
export const echoCheck: CheckDefinition = {
  id: 'echo',
  title: 'Echo integrity',
  async run(context): Promise<CheckOutcome> {
    const sizes = echoSizes(context.options.maxSize)
    const text = await echoKind(context, 'text', sizes)
    const binary = await echoKind(context, 'binary', sizes)
    const range = `${formatBytes(sizes[0]!)} … ${formatBytes(sizes.at(-1)!)}`
    const metrics = { largestText: text.largestOk, largestBinary: binary.largestOk, maxSize: context.options.maxSize }
    if (!text.failure && !binary.failure) {
      return { status: 'pass', summary: `≤ ${formatBytes(sizes.at(-1)!)}`, evidence: `text and binary, ${sizes.length} sizes each (${range}): sha256 intact`, metrics }
    }
    const largest = Math.min(text.largestOk ?? -1, binary.largestOk ?? -1)
    return {
      status: 'fail',
      summary: largest < 0 ? 'broken' : `only ≤ ${formatBytes(largest)}`,
      evidence: `${describe('text', text)}; ${describe('binary', binary)}`,
      metrics,
    }
  },
}
