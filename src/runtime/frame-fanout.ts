/**
 * Frames a message once for any number of sockets (RFC 6455 §5.2: server frames are
 * unmasked, so the same bytes are valid on every connection). One buffer holds the header
 * and payload, so each socket costs a single write of a shared buffer and no copy.
 */
export function frameMessage(data: string | Uint8Array): Buffer {
  const text = typeof data === 'string'
  const length = text ? Buffer.byteLength(data) : data.byteLength
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x80 | (text ? 0x1 : 0x2) // FIN + text/binary opcode (§5.2, §11.8)
  if (length < 126) {
    frame[1] = length
  } else if (length < 65_536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  if (text) frame.write(data, headerLength, 'utf8')
  else frame.set(data, headerLength)
  return frame
}
