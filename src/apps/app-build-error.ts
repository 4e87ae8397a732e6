import path from 'node:path'
import type { Message } from 'esbuild'

/** One problem found while building an app; `file` is shown relative to the working directory. */
export interface BuildMessage {
  text: string
  file?: string
  /** 1-based. */
  line?: number
  /** 1-based. */
  column?: number
  lineText?: string
  notes?: string[]
}

/** An app that cannot be built: every message, formatted "file:line:col: text", one per line. */
export class AppBuildError extends Error {
  constructor(readonly messages: BuildMessage[]) {
    super(messages.map(formatBuildMessage).join('\n'))
    this.name = 'AppBuildError'
  }

  /** A problem with no source position (missing main, unexported class…). */
  static of(text: string, file?: string): AppBuildError {
    return new AppBuildError([{ text, ...(file !== undefined && { file: displayPath(file) }) }])
  }
}

/** esbuild's message → ours, with the file relative to `workingDir` (esbuild's absWorkingDir) made displayable. */
export function fromEsbuildMessage(message: Message, workingDir: string): BuildMessage {
  const location = message.location
  const notes = message.notes.map((note) => note.text).filter((text) => text !== '')
  return {
    text: message.text,
    ...(location && {
      file: displayPath(path.resolve(workingDir, location.file)),
      line: location.line,
      column: location.column + 1,
      lineText: location.lineText,
    }),
    ...(notes.length > 0 && { notes }),
  }
}

export function formatBuildMessage(message: BuildMessage): string {
  const where = message.file === undefined ? '' : `${message.file}${message.line === undefined ? '' : `:${message.line}:${message.column ?? 1}`}: `
  const lines = [`${where}${message.text}`]
  if (message.lineText !== undefined && message.line !== undefined) {
    const gutter = `    ${message.line} | `
    lines.push(`${gutter}${message.lineText}`, `${' '.repeat(gutter.length - 2)}| ${' '.repeat((message.column ?? 1) - 1)}^`)
  }
  for (const note of message.notes ?? []) lines.push(`  note: ${note}`)
  return lines.join('\n')
}

/** Relative to the working directory when inside it, so messages stay short; absolute otherwise. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file)
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative
}
