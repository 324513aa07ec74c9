/**
 * A cursor over DER bytes. Decoding never copies: octet strings come back as `subarray` views
 * of the input buffer.
 *
 * Strict DER, as the golden vectors demand: definite lengths only, the shortest length form
 * (a long form for a value below 128, or with a leading zero octet, is rejected), at most four
 * length octets, and an element may never extend past the end of its enclosing element.
 */
import { fail, hexByte } from "./fault.js"

export class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
    /** End of the innermost enclosing element (exclusive). */
    public end = buf.length
  ) {}

  /** The identifier octet of the next element, or -1 at the end of the enclosing element. */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1
  }

  /**
   * Consumes the identifier (which must be `tag`) and the length of the next element and
   * returns the end of its content; `pos` is then at the start of the content.
   */
  enter(tag: number, what: string): number {
    const buf = this.buf
    if (this.pos >= this.end) fail(`${what}: missing (end of data)`)
    const got = buf[this.pos]!
    if (got !== tag) fail(`${what}: expected tag ${hexByte(tag)}, got ${hexByte(got)}`)
    return this.contentEnd(what)
  }

  /** Reads a length at `pos + 1` (identifier already checked) and moves `pos` to the content. */
  contentEnd(what: string): number {
    const buf = this.buf
    let p = this.pos + 1
    if (p >= this.end) fail(`${what}: truncated (no length)`)
    const first = buf[p++]!
    let len: number
    if (first < 0x80) {
      len = first
    } else if (first === 0x80) {
      return fail(`${what}: indefinite length`)
    } else {
      const n = first & 0x7f
      if (n > 4) fail(`${what}: length of ${n} octets is too large`)
      if (p + n > this.end) fail(`${what}: truncated (length)`)
      if (buf[p] === 0) fail(`${what}: redundant length form`)
      len = 0
      for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!
      if (len < 0x80) fail(`${what}: redundant length form`)
    }
    if (len > this.end - p) fail(`${what}: buffer too small (${len} content octets, ${this.end - p} available)`)
    this.pos = p
    return p + len
  }
}
