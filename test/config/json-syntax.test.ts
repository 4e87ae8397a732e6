import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { findJsonSyntaxError } from '../../src/config/json-syntax.js'

describe('JSON syntax error positions', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0']) {
      JSON.parse(text)
      assert.equal(findJsonSyntaxError(text), undefined, text)
    }
  })

  it('points at the first character JSON.parse would refuse', () => {
    const cases: Array<[string, number, string]> = [
      ['{"a":}', 5, 'unexpected "}", expected a value'],
      ['{"a": 1,}', 8, 'unexpected "}", expected a key in double quotes'],
      ['[1, 2', 5, 'unexpected end of file, expected "," or "]"'],
      ['{"a" 1}', 5, 'unexpected "1", expected ":"'],
      ['{} x', 3, 'unexpected "x", expected the end of the file'],
      ['"tab\there"', 4, 'unexpected "\\t", expected no raw control characters in a string (escape them)'],
      ['"\\x"', 2, 'unexpected "x", expected a valid escape (\\n, \\", \\\\, \\uXXXX …)'],
      ['', 0, 'unexpected end of file, expected a value'],
      ["{'a': 1}", 1, 'unexpected "\'", expected a key in double quotes'],
    ]
    for (const [text, offset, message] of cases) {
      assert.throws(() => JSON.parse(text), SyntaxError, text)
      assert.deepEqual(findJsonSyntaxError(text), { offset, message }, text)
    }
  })
})
