import { ClosedError, describeClose } from '../inbox.js'
import { formatBytes, formatMs, sha256 } from '../payload.js'
import type { CheckOutcome } from '../types.js'
import { errorText, transferTimeout, type CheckContext, type CheckDefinition } from './check.js'

async function download(context: CheckContext, size: number, type: 'text' | 'binary'): Promise<string | undefined> {
  try {
    const { ws, inbox } = await context.connect('big', { query: { size, type } })
    const header = await inbox.nextJson<{ sha256: string }>(10_000)
    const message = await inbox.next(transferTimeout(size))
    ws.close(1000)
    if (message.binary !== (type === 'binary')) return `${type} ${formatBytes(size)} came back as ${message.binary ? 'binary' : 'text'}`
    if (message.data.length !== size) return `${type} ${formatBytes(size)} arrived as ${formatBytes(message.data.length)}`
    if (sha256(message.data) !== header.sha256) return `${type} ${formatBytes(size)} arrived with a different sha256`
    return undefined
  } catch (error) {
    const why = error instanceof ClosedError ? `connection closed ${describeClose(error.close)}` : errorText(error)
    return `${type} ${formatBytes(size)}: ${why}`
  }
}

/** Large messages sent by the origin (`/big`): downstream limits differ from upstream ones on some paths. */
export const bigCheck: CheckDefinition = {
  id: 'big',
  title: 'Large origin message',
  async run(context): Promise<CheckOutcome> {
    const size = context.options.maxSize
    const textSize = Math.min(size, 1024 ** 2)
    const started = performance.now()
    context.progress(`binary ${formatBytes(size)}`)
    const binary = await download(context, size, 'binary')
    context.progress(`text ${formatBytes(textSize)}`)
    const text = binary ? undefined : await download(context, textSize, 'text')
    const problem = binary ?? text
    if (problem) return { status: 'fail', summary: 'lost', evidence: problem, metrics: { size } }
    return {
      status: 'pass',
      summary: formatBytes(size),
      evidence: `binary ${formatBytes(size)} and text ${formatBytes(textSize)} from the origin arrived intact (sha256) in ${formatMs(performance.now() - started)}`,
      metrics: { size },
    }
  },
}
