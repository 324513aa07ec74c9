/**
 * A DER writer that fills its buffer from the end towards the start. Writing backwards means
 * an element's content is complete before its length is written, so lengths never have to be
 * guessed, patched or moved: a sequence writes its fields last to first, then its length and
 * identifier in front. The buffer doubles when full (amortised linear copying).
 *
 * With `keepAbove`, a byte string longer than that is not copied into the buffer: it becomes a
 * piece of its own between what was written before and after it (`pieces`). A state with real
 * images is hundreds of MB of byte strings that the daemon already holds; copying each into an
 * encoder's buffer to write it out is what kept the garbage collector busy.
 */
import { concatPieces } from "../pieces.js"
import { fail } from "./fault.js"

const utf8Encoder = new TextEncoder()

export interface WriterOptions {
  /** Byte strings longer than this are kept as pieces of their own, not copied. */
  readonly keepAbove?: number
}

export class Writer {
  private buf: Uint8Array
  private pos: number
  /** The buffer holds the output's first bytes in [pos, end); the kept pieces follow them. */
  private end: number
  /** What follows the buffer's part, last piece first. */
  private readonly kept: Array<Uint8Array> = []
  private keptLength = 0
  private readonly keepAbove: number

  constructor(initialCapacity = 1024, options?: WriterOptions) {
    this.buf = new Uint8Array(initialCapacity)
    this.pos = initialCapacity
    this.end = initialCapacity
    this.keepAbove = options?.keepAbove ?? Infinity
  }

  /** Bytes written so far. */
  get length(): number {
    return this.end - this.pos + this.keptLength
  }

  private grow(n: number): void {
    const used = this.end - this.pos
    let cap = this.buf.length * 2
    if (cap < used + n) cap = used + n + 1024
    if (cap + this.keptLength > 0x7fffffff) fail("message too large to encode")
    const next = new Uint8Array(cap)
    next.set(this.buf.subarray(this.pos, this.end), cap - used)
    this.buf = next
    this.pos = cap - used
    this.end = cap
  }

  /** Ends the buffer's part here: it becomes a kept piece, and the buffer's free front holds what comes next. */
  private keep(piece: Uint8Array): void {
    if (this.pos < this.end) {
      this.kept.push(this.buf.subarray(this.pos, this.end))
      this.keptLength += this.end - this.pos
      this.end = this.pos
    }
    this.kept.push(piece)
    this.keptLength += piece.length
    if (this.keptLength > 0x7fffffff) fail("message too large to encode")
  }

  byte(b: number): void {
    if (this.pos === 0) this.grow(1)
    this.buf[--this.pos] = b
  }

  bytes(src: Uint8Array): void {
    if (src.length > this.keepAbove) return this.keep(src)
    if (this.pos < src.length) this.grow(src.length)
    this.pos -= src.length
    this.buf.set(src, this.pos)
  }

  /** Writes the UTF-8 encoding of `s` and returns its length in bytes. */
  text(s: string): number {
    const n = s.length
    if (this.pos < n) this.grow(n)
    const buf = this.buf
    const start = this.pos - n
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) {
        const encoded = utf8Encoder.encode(s)
        this.bytes(encoded)
        return encoded.length
      }
      buf[start + i] = c
    }
    this.pos = start
    return n
  }

  /** Writes identifier and length in front of `contentLength` bytes already written. */
  header(tag: number, contentLength: number): void {
    if (contentLength < 0x80) {
      this.byte(contentLength)
    } else {
      let n = 0
      let l = contentLength
      while (l > 0) {
        this.byte(l & 0xff)
        l = Math.floor(l / 256)
        n++
      }
      this.byte(0x80 | n)
    }
    this.byte(tag)
  }

  /** The encoding: a view of the written part of the buffer (one copy when pieces were kept). */
  result(): Uint8Array {
    if (this.kept.length === 0) return this.buf.subarray(this.pos, this.end)
    return concatPieces({ length: this.length, pieces: () => this.pieces() })
  }

  /** The encoding as pieces in order: the buffer's part (if any), then the kept pieces. */
  pieces(): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    if (this.pos < this.end) out.push(this.buf.subarray(this.pos, this.end))
    for (let i = this.kept.length - 1; i >= 0; i--) out.push(this.kept[i]!)
    return out
  }

  /**
   * The first `n` bytes of the encoding (the element written last), as a view, or undefined
   * when they are not all in the buffer (a piece was kept within them).
   */
  front(n: number): Uint8Array | undefined {
    return this.pos + n <= this.end ? this.buf.subarray(this.pos, this.pos + n) : undefined
  }
}
