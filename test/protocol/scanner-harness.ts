import { Buffer } from 'node:buffer'
import { DROP, FORWARD, FrameScanner, type FrameInfo, type ScannerOptions } from '../../src/protocol/frame-scanner.js'

/** Hex with spaces allowed: hex('81 05 48656c6c6f'). */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex')
}

export type ScanEvent =
  | { type: 'frame'; opcode: number; fin: boolean; rsv: number; masked: boolean; payloadLength: number; start: number; payload?: string }
  | { type: 'message'; opcode: number; size: number; dropped: boolean }
  | { type: 'violation'; code: number; reason: string; at: number }

export interface ScanResult {
  events: ScanEvent[]
  output: Buffer
  /** Every buffer emit received, in order. */
  emitted: Buffer[]
  scanner: FrameScanner
}

export const SERVER_TO_CLIENT: ScannerOptions = { requireMask: false, maxMessageSize: Infinity, allowedRsv: 0 }
export const CLIENT_TO_SERVER: ScannerOptions = { requireMask: true, maxMessageSize: Infinity, allowedRsv: 0 }

/** Runs chunks through a fresh scanner and records everything it reports and emits. */
export function scan(
  chunks: Buffer[],
  options: ScannerOptions = SERVER_TO_CLIENT,
  decide: (frame: FrameInfo) => 0 | 1 = () => FORWARD,
): ScanResult {
  const events: ScanEvent[] = []
  const emitted: Buffer[] = []
  const scanner = new FrameScanner(options, {
    onFrame(frame) {
      const { opcode, fin, rsv, masked, payloadLength, start, payload } = frame
      events.push({ type: 'frame', opcode, fin, rsv, masked, payloadLength, start, ...(payload ? { payload: payload.toString('hex') } : {}) })
      return decide(frame)
    },
    onMessage(opcode, size, dropped) {
      events.push({ type: 'message', opcode, size, dropped })
    },
    onViolation(code, reason, at) {
      events.push({ type: 'violation', code, reason, at })
    },
  })
  const emit = (bytes: Buffer): void => {
    emitted.push(bytes)
  }
  for (const chunk of chunks) scanner.push(chunk, emit)
  return { events, output: Buffer.concat(emitted), emitted, scanner }
}

/** Every way of cutting `stream` that the equivalence tests try. */
export function chunkings(stream: Buffer): { name: string; chunks: Buffer[] }[] {
  const result = [
    { name: 'whole', chunks: [stream] },
    { name: 'byte at a time', chunks: [...stream].map((byte) => Buffer.from([byte])) },
  ]
  for (let k = 1; k < stream.length; k++) {
    result.push({ name: `split at ${k}`, chunks: [stream.subarray(0, k), stream.subarray(k)] })
  }
  // Deterministic pseudo-random chunk sizes (1-17 bytes) so failures reproduce.
  let seed = 7
  const chunks: Buffer[] = []
  for (let at = 0; at < stream.length; ) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const size = 1 + (seed % 17)
    chunks.push(stream.subarray(at, at + size))
    at += size
  }
  result.push({ name: 'random sizes', chunks })
  return result
}

/** Drops the frames whose opcode is in `opcodes` (only the first frame of a message counts). */
export function dropOpcodes(...opcodes: number[]): (frame: FrameInfo) => 0 | 1 {
  return (frame) => (opcodes.includes(frame.opcode) ? DROP : FORWARD)
}

/** Applies a client mask key to a payload (RFC 6455 §5.3) to write masked literals. */
export function maskWith(key: Buffer, payload: Buffer): Buffer {
  return Buffer.from(payload.map((byte, i) => byte ^ key[i & 3]!))
}
