/**
 * Micro benchmark of FrameScanner.push against a relay that only forwards chunks
 * (emit(chunk)), and against ws's Receiver (what a terminating proxy pays to parse the
 * same bytes), all measured in the same run. Run: npm run bench:scanner. Bounded: each
 * measurement stops after MAX_PASSES passes or MAX_MS milliseconds, whichever comes first.
 */
import { Buffer } from 'node:buffer'
import { createRequire } from 'node:module'
import { buildDataFrame } from '../src/protocol/frames.js'
import { FORWARD, FrameScanner, type ScannerEvents } from '../src/protocol/frame-scanner.js'
import { Opcode } from '../src/protocol/opcodes.js'

const CHUNK = 64 * 1024
const MAX_PASSES = 200
const MAX_MS = 1500

interface Scenario {
  name: string
  chunks: Buffer[]
  frames: number
  requireMask: boolean
}

function scenario(name: string, payloadSize: number, frameCount: number, mask: boolean): Scenario {
  const frame = buildDataFrame(mask ? Opcode.TEXT : Opcode.BINARY, Buffer.alloc(payloadSize, 0x61), mask)
  const stream = Buffer.alloc(frame.length * frameCount)
  for (let i = 0; i < frameCount; i++) frame.copy(stream, i * frame.length)
  // Cut like a socket would: fixed-size reads that ignore frame boundaries.
  const chunks: Buffer[] = []
  for (let at = 0; at < stream.length; at += CHUNK) chunks.push(stream.subarray(at, at + CHUNK))
  return { name, chunks, frames: frameCount, requireMask: mask }
}

let sink = 0
const emit = (bytes: Buffer): void => {
  sink += bytes.length
}
const events: ScannerEvents = {
  onFrame: () => FORWARD,
  onMessage: () => {},
  onViolation: (code, reason) => {
    throw new Error(`benchmark stream is invalid: ${code} ${reason}`)
  },
}

// ws exports its Receiver at runtime; @types/ws does not declare it.
type WsReceiver = { write(chunk: Buffer): boolean; on(event: 'message', listener: () => void): void }
const { Receiver } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean; allowSynchronousEvents: boolean }) => WsReceiver
}

function wsReceiverPass(s: Scenario, chunks: Buffer[]): void {
  const receiver = new Receiver({ isServer: s.requireMask, allowSynchronousEvents: true })
  let messages = 0
  receiver.on('message', () => void messages++)
  for (const chunk of chunks) receiver.write(chunk)
  if (messages !== s.frames) throw new Error(`ws parsed ${messages} messages, expected ${s.frames}`)
}

/** ws unmasks in place, so each of its passes gets a fresh copy (made outside the timing). */
function copyChunks(s: Scenario): Buffer[] {
  return s.chunks.map((chunk) => Buffer.from(chunk))
}

function baselinePass(_s: Scenario, chunks: Buffer[]): void {
  for (const chunk of chunks) emit(chunk)
}

function scannerPass(s: Scenario, chunks: Buffer[]): void {
  const scanner = new FrameScanner({ requireMask: s.requireMask, maxMessageSize: Infinity, allowedRsv: 0 }, events)
  for (const chunk of chunks) scanner.push(chunk, emit)
  if (scanner.frames !== s.frames) throw new Error(`scanned ${scanner.frames} frames, expected ${s.frames}`)
}

type Pass = (s: Scenario, chunks: Buffer[]) => void

/** Median nanoseconds per pass; `prepare` runs before each pass, untimed. */
function measure(pass: Pass, s: Scenario, prepare: (s: Scenario) => Buffer[] = () => s.chunks): number {
  for (let i = 0; i < 3; i++) pass(s, prepare(s)) // warm up
  const times: number[] = []
  const deadline = performance.now() + MAX_MS
  while (times.length < MAX_PASSES && performance.now() < deadline) {
    const chunks = prepare(s)
    const start = process.hrtime.bigint()
    pass(s, chunks)
    times.push(Number(process.hrtime.bigint() - start))
  }
  times.sort((a, b) => a - b)
  return times[times.length >> 1]!
}

const scenarios = [
  // ~936 frames of 70 wire bytes per 64 KiB chunk (the brief's "64 B frames ×1000 per chunk").
  scenario('64 B masked frames', 64, 240_000, true),
  scenario('64 KiB unmasked frames', 64 * 1024, 256, false),
  scenario('16 MiB masked frames', 16 * 1024 * 1024, 2, true),
]

const rows = scenarios.map((s) => {
  const bytes = s.chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  const base = measure(baselinePass, s)
  const scanned = measure(scannerPass, s)
  const ws = measure(wsReceiverPass, s, copyChunks)
  const megabytesPerSecond = (ns: number): number => Math.round(bytes / 1e6 / (ns / 1e9))
  return {
    scenario: s.name,
    'MiB/pass': (bytes / 2 ** 20).toFixed(1),
    'emit-only MB/s': megabytesPerSecond(base),
    'scanner MB/s': megabytesPerSecond(scanned),
    'scanner/emit-only time': (scanned / base).toFixed(1),
    'frames/s': Math.round(s.frames / (scanned / 1e9)).toLocaleString('en'),
    'ns/frame': (scanned / s.frames).toFixed(1),
    'scan ns/64KiB chunk': Math.round(scanned / s.chunks.length),
    'ws Receiver MB/s': megabytesPerSecond(ws),
    'scanner vs ws': `${(ws / scanned).toFixed(1)}x`,
  }
})
console.table(rows)
console.log(`node ${process.version}, sink ${sink}`)
