/**
 * DER primitive types as albatross uses them (spec §6.5): INTEGER (minimal two's complement,
 * redundant leading octets rejected), BOOLEAN, NULL, OCTET STRING, UTF8String, and the two
 * albatross conventions layered on OCTET STRING: Int64 (8 bytes big-endian) and MAC (6 bytes).
 */
import type { Codec } from "./codec.js"
import { fail } from "./fault.js"
import type { Reader } from "./reader.js"
import type { Writer } from "./writer.js"

const TAG_BOOLEAN = 0x01
const TAG_INTEGER = 0x02
const TAG_OCTET_STRING = 0x04
const TAG_NULL = 0x05
const TAG_UTF8 = 0x0c

/** OCaml's native int is 63 bits: the range every INTEGER of albatross lives in. */
const OCAML_MAX_INT = (1n << 62n) - 1n
const OCAML_MIN_INT = -(1n << 62n)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)

// ---------------------------------------------------------------------------------- INTEGER

/** Enters an INTEGER, checks that its content is non-empty and minimal; returns the content end. */
const enterInteger = (r: Reader): number => {
  const end = r.enter(TAG_INTEGER, "INTEGER")
  const len = end - r.pos
  if (len === 0) fail("INTEGER: length 0")
  if (len > 1) {
    const b0 = r.buf[r.pos]!
    const b1 = r.buf[r.pos + 1]!
    if ((b0 === 0 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) fail("INTEGER: redundant leading octet")
  }
  return end
}

/** Two's complement of at most 6 octets: exact in a double. */
const smallSigned = (buf: Uint8Array, start: number, end: number): number => {
  let v = buf[start]!
  if (v >= 0x80) v -= 0x100
  for (let i = start + 1; i < end; i++) v = v * 256 + buf[i]!
  return v
}

const bigSigned = (buf: Uint8Array, start: number, end: number): bigint => {
  let v = BigInt(buf[start]! >= 0x80 ? buf[start]! - 0x100 : buf[start]!)
  for (let i = start + 1; i < end; i++) v = (v << 8n) | BigInt(buf[i]!)
  return v
}

const hexOf = (buf: Uint8Array, start: number, end: number): string =>
  Array.from(buf.subarray(start, end), (b) => b.toString(16).padStart(2, "0")).join("")

/** Reads an INTEGER in OCaml's 63-bit range. */
const readOcamlInt = (r: Reader): bigint => {
  const end = enterInteger(r)
  const start = r.pos
  if (end - start > 8) fail(`INTEGER: overflow (${hexOf(r.buf, start, end)})`)
  const v = bigSigned(r.buf, start, end)
  if (v > OCAML_MAX_INT || v < OCAML_MIN_INT) fail(`INTEGER: overflow (${hexOf(r.buf, start, end)})`)
  r.pos = end
  return v
}

const writeIntegerBig = (w: Writer, n: bigint): void => {
  const start = w.length
  let v = n
  for (;;) {
    const b = Number(v & 0xffn)
    w.byte(b)
    v >>= 8n
    if ((v === 0n && b < 0x80) || (v === -1n && b >= 0x80)) break
  }
  w.header(TAG_INTEGER, w.length - start)
}

const writeIntegerNumber = (w: Writer, n: number): void => {
  if (!Number.isSafeInteger(n)) fail(`INTEGER: ${n} is not a safe integer`)
  if (n < -0x80000000 || n > 0x7fffffff) return writeIntegerBig(w, BigInt(n))
  const start = w.length
  let v = n | 0
  for (;;) {
    const b = v & 0xff
    w.byte(b)
    v >>= 8
    if ((v === 0 && b < 0x80) || (v === -1 && b >= 0x80)) break
  }
  w.header(TAG_INTEGER, w.length - start)
}

/** An INTEGER that must be a safe JS integer (|n| < 2^53); anything larger is a typed error. */
export const int: Codec<number> = {
  tags: [TAG_INTEGER],
  decode(r) {
    const end = enterInteger(r)
    const start = r.pos
    if (end - start <= 6) {
      r.pos = end
      return smallSigned(r.buf, start, end)
    }
    if (end - start > 8) fail(`INTEGER: overflow (${hexOf(r.buf, start, end)})`)
    const v = bigSigned(r.buf, start, end)
    if (v > MAX_SAFE || v < MIN_SAFE) fail(`INTEGER: ${v} is beyond the safe integer range`)
    r.pos = end
    return Number(v)
  },
  encode: writeIntegerNumber
}

/** An INTEGER as OCaml's native int (63-bit), kept as bigint: e.g. the root policy's 2^62-1. */
export const bigInt: Codec<bigint> = {
  tags: [TAG_INTEGER],
  decode: readOcamlInt,
  encode(w, n) {
    if (n > OCAML_MAX_INT || n < OCAML_MIN_INT) fail(`INTEGER: ${n} is outside the 63-bit range`)
    writeIntegerBig(w, n)
  }
}

/** An INTEGER that albatross stores as int32 (interface counters of `ifdata`). */
export const int32: Codec<number> = {
  tags: [TAG_INTEGER],
  decode(r) {
    const end = enterInteger(r)
    const start = r.pos
    if (end - start > 4) fail(`INTEGER: out of the int32 range (${hexOf(r.buf, start, end)})`)
    r.pos = end
    return smallSigned(r.buf, start, end)
  },
  encode(w, n) {
    if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) fail(`INTEGER: ${n} is not an int32`)
    writeIntegerNumber(w, n)
  }
}

// ---------------------------------------------------------------------------------- BOOLEAN, NULL

/** BOOLEAN: written as FF / 00; any non-zero octet reads as true (as the reference does). */
export const boolean: Codec<boolean> = {
  tags: [TAG_BOOLEAN],
  decode(r) {
    const end = r.enter(TAG_BOOLEAN, "BOOLEAN")
    if (end - r.pos !== 1) fail(`BOOLEAN: ${end - r.pos} content octets (expected 1)`)
    const v = r.buf[r.pos]! !== 0
    r.pos = end
    return v
  },
  encode(w, b) {
    w.byte(b ? 0xff : 0x00)
    w.byte(1)
    w.byte(TAG_BOOLEAN)
  }
}

export const nul: Codec<null> = {
  tags: [TAG_NULL],
  decode(r) {
    const end = r.enter(TAG_NULL, "NULL")
    if (end !== r.pos) fail("NULL: has content")
    return null
  },
  encode(w) {
    w.byte(0)
    w.byte(TAG_NULL)
  }
}

// ---------------------------------------------------------------------------------- strings

/** OCTET STRING, decoded as a view into the input (no copy). */
export const octetString: Codec<Uint8Array> = {
  tags: [TAG_OCTET_STRING],
  decode(r) {
    const end = r.enter(TAG_OCTET_STRING, "OCTET STRING")
    const v = r.buf.subarray(r.pos, end)
    r.pos = end
    return v
  },
  encode(w, bytes) {
    w.bytes(bytes)
    w.header(TAG_OCTET_STRING, bytes.length)
  }
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * Node's native Latin-1 slice (on Buffer.prototype, callable on any Uint8Array): for ASCII it is
 * the fastest way from bytes to a string, about twice as fast as TextDecoder on short strings.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string })
  .latin1Slice

const decodeText = (buf: Uint8Array, start: number, end: number): string => {
  if (start === end) return ""
  if (latin1Slice !== undefined) {
    let ascii = true
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false
        break
      }
    }
    if (ascii) return latin1Slice.call(buf, start, end)
  }
  try {
    return utf8Decoder.decode(buf.subarray(start, end))
  } catch {
    return fail("UTF8String: not valid UTF-8")
  }
}

/** UTF8String as a JS string; bytes that are not valid UTF-8 are a typed error. */
export const utf8: Codec<string> = {
  tags: [TAG_UTF8],
  decode(r) {
    const end = r.enter(TAG_UTF8, "UTF8String")
    const s = decodeText(r.buf, r.pos, end)
    r.pos = end
    return s
  },
  encode(w, s) {
    w.header(TAG_UTF8, w.text(s))
  }
}

/** UTF8String kept as raw bytes (console lines need not be UTF-8); a view, no copy. */
export const utf8Raw: Codec<Uint8Array> = {
  tags: [TAG_UTF8],
  decode(r) {
    const end = r.enter(TAG_UTF8, "UTF8String")
    const v = r.buf.subarray(r.pos, end)
    r.pos = end
    return v
  },
  encode(w, bytes) {
    w.bytes(bytes)
    w.header(TAG_UTF8, bytes.length)
  }
}

// ---------------------------------------------------------------------------------- Int64, MAC

/**
 * Int64 = OCTET STRING holding 8 bytes, big-endian two's complement. Like the reference, the
 * decoder reads the first 8 bytes and ignores any beyond (vector lenient/int64-9-bytes); fewer
 * than 8 is an error.
 */
export const int64: Codec<bigint> = {
  tags: [TAG_OCTET_STRING],
  decode(r) {
    const end = r.enter(TAG_OCTET_STRING, "Int64")
    const p = r.pos
    if (end - p < 8) fail(`Int64: ${end - p} octets (expected 8)`)
    const b = r.buf
    const hi = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) // signed
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0
    r.pos = end
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo)
  },
  encode(w, n) {
    if (n > 0x7fffffffffffffffn || n < -0x8000000000000000n) fail(`Int64: ${n} is outside the 64-bit range`)
    const lo = Number(BigInt.asUintN(32, n))
    const hi = Number(BigInt.asUintN(32, n >> 32n))
    w.byte(lo & 0xff)
    w.byte((lo >>> 8) & 0xff)
    w.byte((lo >>> 16) & 0xff)
    w.byte(lo >>> 24)
    w.byte(hi & 0xff)
    w.byte((hi >>> 8) & 0xff)
    w.byte((hi >>> 16) & 0xff)
    w.byte(hi >>> 24)
    w.byte(8)
    w.byte(TAG_OCTET_STRING)
  }
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

/** MAC = OCTET STRING of exactly 6 bytes, in the domain as `00:80:41:aa:bb:cc`. */
export const mac: Codec<string> = {
  tags: [TAG_OCTET_STRING],
  decode(r) {
    const end = r.enter(TAG_OCTET_STRING, "MAC")
    if (end - r.pos !== 6) fail(`bad mac address: MAC is exactly 6 bytes (got ${end - r.pos})`)
    let s = ""
    for (let i = r.pos; i < end; i++) s += (i === r.pos ? "" : ":") + r.buf[i]!.toString(16).padStart(2, "0")
    r.pos = end
    return s
  },
  encode(w, s) {
    if (!macPattern.test(s)) fail(`bad mac address: ${JSON.stringify(s)}`)
    for (let i = 15; i >= 0; i -= 3) w.byte(parseInt(s.slice(i, i + 2), 16))
    w.byte(6)
    w.byte(TAG_OCTET_STRING)
  }
}
