/**
 * Framed `Data(Console_data(timestamp, line))` messages, built directly as bytes.
 *
 * The console is the one hot path of the protocol (every line of every unikernel, to every
 * subscriber), so instead of building a `Wire` value per line and running the generic encoder,
 * the header bytes are made once per console and the timestamp once per read, and the frames
 * of all lines of one read are laid out back to back in one buffer that every subscriber
 * receives as is. The bytes are those of `encodeWireSync` (checked by test/console/frames.test.ts).
 *
 * Layout (spec §6.6): SEQUENCE { header SEQUENCE { version INTEGER, sequence Int64, name UTF8String },
 *   [3] data CHOICE { [3] console SEQUENCE { GeneralizedTime, UTF8String } } }
 */
import { PROTOCOL_VERSION } from "../../domain/wire.js"
import { formatGeneralizedTime } from "../../wire/der/time.js"

const TAG_SEQUENCE = 0x30
const TAG_DATA = 0xa3
const TAG_CONSOLE = 0xa3
const TAG_UTF8 = 0x0c
const TAG_TIME = 0x18

const lengthSize = (n: number): number => (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5)

const writeLength = (buf: Uint8Array, pos: number, n: number): number => {
  if (n < 0x80) {
    buf[pos] = n
    return pos + 1
  }
  const size = lengthSize(n) - 1
  buf[pos++] = 0x80 | size
  for (let i = size - 1; i >= 0; i--) buf[pos++] = (n >>> (8 * i)) & 0xff
  return pos
}

const tlv = (tag: number, content: Uint8Array): Uint8Array => {
  const out = new Uint8Array(1 + lengthSize(content.length) + content.length)
  out[0] = tag
  out.set(content, writeLength(out, 1, content.length))
  return out
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The DER header {version, sequence 0, name} of every line sent for one console. */
export const consoleHeader = (name: string, version: number = PROTOCOL_VERSION): Uint8Array => {
  const v = tlv(0x02, new Uint8Array([version]))
  const seq = tlv(0x04, new Uint8Array(8))
  const n = tlv(TAG_UTF8, utf8(name))
  const content = new Uint8Array(v.length + seq.length + n.length)
  content.set(v, 0)
  content.set(seq, v.length)
  content.set(n, v.length + seq.length)
  return tlv(TAG_SEQUENCE, content)
}

/** The DER GeneralizedTime of a timestamp (ms). */
export const encodeTimestamp = (ms: number): Uint8Array => tlv(TAG_TIME, latin1(formatGeneralizedTime(new Date(ms))))

/** Size of one framed message for a line of `lineLength` bytes. */
const frameSize = (header: Uint8Array, time: Uint8Array, lineLength: number): number => {
  const seq = time.length + 1 + lengthSize(lineLength) + lineLength
  const inner = 1 + lengthSize(seq) + seq
  const data = 1 + lengthSize(inner) + inner
  const wire = header.length + 1 + lengthSize(data) + data
  return 4 + 1 + lengthSize(wire) + wire
}

/**
 * The frames (4-byte length prefix + DER) of `lines`, all with the same header and timestamp,
 * back to back in one buffer.
 */
export const consoleFrames = (header: Uint8Array, time: Uint8Array, lines: ReadonlyArray<Uint8Array>): Uint8Array => {
  let total = 0
  for (const line of lines) total += frameSize(header, time, line.length)
  const buf = new Uint8Array(total)
  let pos = 0
  for (const line of lines) {
    const seq = time.length + 1 + lengthSize(line.length) + line.length
    const inner = 1 + lengthSize(seq) + seq
    const data = 1 + lengthSize(inner) + inner
    const wire = header.length + 1 + lengthSize(data) + data
    const frame = 1 + lengthSize(wire) + wire
    buf[pos] = frame >>> 24
    buf[pos + 1] = (frame >>> 16) & 0xff
    buf[pos + 2] = (frame >>> 8) & 0xff
    buf[pos + 3] = frame & 0xff
    pos += 4
    buf[pos++] = TAG_SEQUENCE
    pos = writeLength(buf, pos, wire)
    buf.set(header, pos)
    pos += header.length
    buf[pos++] = TAG_DATA
    pos = writeLength(buf, pos, data)
    buf[pos++] = TAG_CONSOLE
    pos = writeLength(buf, pos, inner)
    buf[pos++] = TAG_SEQUENCE
    pos = writeLength(buf, pos, seq)
    buf.set(time, pos)
    pos += time.length
    buf[pos++] = TAG_UTF8
    pos = writeLength(buf, pos, line.length)
    buf.set(line, pos)
    pos += line.length
  }
  return buf
}
