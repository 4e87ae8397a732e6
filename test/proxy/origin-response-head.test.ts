import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ResponseHeadReader, ResponseHeadError, MAX_RESPONSE_HEAD_BYTES } from '../../src/proxy/origin-response-head.js'
import { ChunkedBodyEnd, CHUNKED_MALFORMED, CHUNKED_NEED_MORE } from '../../src/proxy/chunked-body-end.js'

const HEAD_101 = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Origin-Case: Kept\r\n\r\n'

function readAll(text: string): { reader: ResponseHeadReader; used: number } {
  const reader = new ResponseHeadReader()
  return { reader, used: reader.push(Buffer.from(text, 'latin1')) }
}

function headError(text: string): string {
  try {
    readAll(text)
  } catch (error) {
    assert.ok(error instanceof ResponseHeadError)
    return error.code
  }
  assert.fail('the head was accepted')
}

test('a 101 head is parsed with field names in their original case and the bytes after it left over', () => {
  const frame = '\x81\x02hi'
  const { reader, used } = readAll(HEAD_101 + frame)
  assert.equal(used, HEAD_101.length)
  const response = reader.response!
  assert.equal(response.statusCode, 101)
  assert.equal(response.statusMessage, 'Switching Protocols')
  assert.equal(response.accept, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
  assert.deepEqual(response.rawHeaders.slice(-2), ['X-Origin-Case', 'Kept'])
})

test('a head fed one byte at a time ends at the same byte with the same fields', () => {
  const text = HEAD_101 + 'after'
  const reader = new ResponseHeadReader()
  let end = -1
  for (let index = 0; index < text.length && end === -1; index++) {
    const used = reader.push(Buffer.from(text[index]!, 'latin1'))
    if (used !== -1) end = index + used
  }
  assert.equal(end, HEAD_101.length)
  assert.deepEqual(reader.response, readAll(HEAD_101).reader.response)
})

test('field values keep inner spaces and obs-text, lose surrounding whitespace; bare LF lines are read', () => {
  const { reader } = readAll('HTTP/1.1 403 Forbidden\nX-Text:  caf\xe9 au lait \t\nContent-Length: 0\n\n')
  const response = reader.response!
  assert.equal(response.statusCode, 403)
  assert.deepEqual(response.rawHeaders, ['X-Text', 'caf\xe9 au lait', 'Content-Length', '0'])
  assert.equal(response.contentLength, 0)
})

test('a status line without a reason phrase is accepted', () => {
  assert.equal(readAll('HTTP/1.1 101\r\n\r\n').reader.response!.statusMessage, '')
})

test('repeated Sec-WebSocket-Accept fields are joined, so they can never match one key', () => {
  const { reader } = readAll('HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: a\r\nsec-websocket-accept: b\r\n\r\n')
  assert.equal(reader.response!.accept, 'a, b')
})

test('obs-fold, whitespace before the colon, control characters and a bad status line are refused', () => {
  assert.equal(headError('HTTP/1.1 101 OK\r\nX-A: one\r\n two\r\n\r\n'), 'HPE_INVALID_HEADER_TOKEN')
  assert.equal(headError('HTTP/1.1 101 OK\r\nX-A : one\r\n\r\n'), 'HPE_INVALID_HEADER_TOKEN')
  assert.equal(headError('HTTP/1.1 101 OK\r\nX-A: o\x00ne\r\n\r\n'), 'HPE_INVALID_HEADER_TOKEN')
  assert.equal(headError('HTTP/1.1 101 OK\r\nX-A: o\rne\r\n\r\n'), 'HPE_INVALID_HEADER_TOKEN')
  assert.equal(headError('HTTP/2 101 OK\r\n\r\n'), 'HPE_INVALID_STATUS')
  assert.equal(headError('HTTP/1.1 99 OK\r\n\r\n'), 'HPE_INVALID_STATUS')
})

test('Content-Length with Transfer-Encoding, or two different lengths, are refused', () => {
  assert.equal(headError('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'), 'HPE_UNEXPECTED_CONTENT_LENGTH')
  assert.equal(headError('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'), 'HPE_INVALID_CONTENT_LENGTH')
  assert.equal(headError('HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n'), 'HPE_INVALID_CONTENT_LENGTH')
  assert.equal(readAll('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n').reader.response!.contentLength, 3)
})

test('a head larger than the limit is refused, whether it comes in one chunk or many', () => {
  const big = `HTTP/1.1 101 OK\r\nX-Big: ${'a'.repeat(MAX_RESPONSE_HEAD_BYTES)}\r\n\r\n`
  assert.equal(headError(big), 'HPE_HEADER_OVERFLOW')
  const reader = new ResponseHeadReader()
  const bytes = Buffer.from(big)
  assert.throws(() => {
    for (let offset = 0; offset < bytes.length; offset += 1000) reader.push(bytes.subarray(offset, offset + 1000))
  }, (error: unknown) => error instanceof ResponseHeadError && error.code === 'HPE_HEADER_OVERFLOW')
  // Just under the limit is fine.
  const fits = `HTTP/1.1 101 OK\r\nX-Big: ${'a'.repeat(MAX_RESPONSE_HEAD_BYTES - 40)}\r\n\r\n`
  assert.equal(readAll(fits).used, fits.length)
})

test('a held partial head is copied: reusing the chunk buffer does not change it', () => {
  const reader = new ResponseHeadReader()
  const shared = Buffer.alloc(64)
  const first = HEAD_101.slice(0, 30)
  shared.write(first, 'latin1')
  assert.equal(reader.push(shared.subarray(0, first.length)), -1)
  shared.fill(0x58)
  const rest = HEAD_101.slice(30)
  assert.equal(reader.push(Buffer.from(rest, 'latin1')), rest.length)
  assert.equal(reader.response!.accept, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
})

const CHUNKED = '4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer-One: x\r\n\r\n'

test('the end of a chunked body is found after the last chunk and the trailer section', () => {
  const end = new ChunkedBodyEnd()
  assert.equal(end.push(Buffer.from(`${CHUNKED}NEXT`)), CHUNKED.length)
  assert.ok(end.done)
})

test('a chunked body fed one byte at a time ends at the same byte', () => {
  const end = new ChunkedBodyEnd()
  const bytes = Buffer.from(CHUNKED)
  for (let index = 0; index < bytes.length; index++) {
    const result = end.push(bytes.subarray(index, index + 1))
    if (index < bytes.length - 1) assert.equal(result, CHUNKED_NEED_MORE, `byte ${index}`)
    else assert.equal(result, 1)
  }
})

test('a last chunk without trailers, and bare LF line ends, end the body', () => {
  assert.equal(new ChunkedBodyEnd().push(Buffer.from('3\r\nabc\r\n0\r\n\r\n')), 13)
  assert.equal(new ChunkedBodyEnd().push(Buffer.from('3\nabc\n0\n\n')), 9)
})

test('malformed chunk framing is reported', () => {
  assert.equal(new ChunkedBodyEnd().push(Buffer.from('x\r\n')), CHUNKED_MALFORMED)
  assert.equal(new ChunkedBodyEnd().push(Buffer.from('3\r\nabcX')), CHUNKED_MALFORMED)
  assert.equal(new ChunkedBodyEnd().push(Buffer.from(`${'f'.repeat(14)}\r\n`)), CHUNKED_MALFORMED)
  assert.equal(new ChunkedBodyEnd().push(Buffer.from('3\rabc')), CHUNKED_MALFORMED)
})
