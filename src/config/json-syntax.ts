/**
 * Finds the first JSON syntax error and its offset. JSON.parse's messages differ between
 * Node versions and often carry no position; a config error must say where (line:column).
 * Grammar: RFC 8259 §2-§7.
 */
export function findJsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  const scanner = new JsonScanner(text)
  try {
    scanner.document()
    return undefined
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { offset: error.offset, message: error.message }
    throw error
  }
}

class JsonSyntaxError extends Error {
  constructor(readonly offset: number, message: string) {
    super(message)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPES = '"\\/bfnrtu'

class JsonScanner {
  #text: string
  #at = 0

  constructor(text: string) {
    this.#text = text
  }

  document(): void {
    this.#value()
    this.#space()
    if (this.#at < this.#text.length) this.#fail('the end of the file')
  }

  #value(): void {
    this.#space()
    const char = this.#text[this.#at]
    if (char === '{') return this.#object()
    if (char === '[') return this.#array()
    if (char === '"') return this.#string()
    NUMBER.lastIndex = this.#at
    if (NUMBER.test(this.#text)) {
      this.#at = NUMBER.lastIndex
      return
    }
    for (const word of ['true', 'false', 'null']) {
      if (this.#text.startsWith(word, this.#at)) {
        this.#at += word.length
        return
      }
    }
    this.#fail('a value')
  }

  #object(): void {
    this.#at++
    this.#space()
    if (this.#text[this.#at] === '}') return void this.#at++
    for (;;) {
      this.#space()
      if (this.#text[this.#at] !== '"') this.#fail('a key in double quotes')
      this.#string()
      this.#space()
      if (this.#text[this.#at] !== ':') this.#fail('":"')
      this.#at++
      this.#value()
      if (this.#endOfList('}')) return
    }
  }

  #array(): void {
    this.#at++
    this.#space()
    if (this.#text[this.#at] === ']') return void this.#at++
    for (;;) {
      this.#value()
      if (this.#endOfList(']')) return
    }
  }

  #endOfList(close: string): boolean {
    this.#space()
    const char = this.#text[this.#at]
    if (char === ',') {
      this.#at++
      return false
    }
    if (char === close) {
      this.#at++
      return true
    }
    return this.#fail(`"," or "${close}"`)
  }

  #string(): void {
    this.#at++
    for (;;) {
      const char = this.#text[this.#at]
      if (char === undefined) this.#fail('a closing \'"\'')
      if (char === '"') return void this.#at++
      if (char < ' ') this.#fail('no raw control characters in a string (escape them)')
      if (char === '\\') {
        this.#at++
        const escape = this.#text[this.#at]
        if (escape === undefined || !ESCAPES.includes(escape)) this.#fail('a valid escape (\\n, \\", \\\\, \\uXXXX …)')
        if (escape === 'u' && !/^[0-9a-fA-F]{4}$/.test(this.#text.slice(this.#at + 1, this.#at + 5))) this.#fail('4 hex digits after \\u')
        if (escape === 'u') this.#at += 4
      }
      this.#at++
    }
  }

  #space(): void {
    while (this.#at < this.#text.length && ' \t\n\r'.includes(this.#text[this.#at]!)) this.#at++
  }

  #fail(expected: string): never {
    const char = this.#text[this.#at]
    const found = char === undefined ? 'end of file' : JSON.stringify(char)
    throw new JsonSyntaxError(this.#at, `unexpected ${found}, expected ${expected}`)
  }
}
