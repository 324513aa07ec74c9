/**
 * A DER writer that fills its buffer from the end towards the start. Writing backwards means
 * an element's content is complete before its length is written, so lengths never have to be
 * guessed, patched or moved: a sequence writes its fields last to first, then its length and
 * identifier in front. The buffer doubles when full (amortised linear copying).
 */
import { fail } from "./fault.js"

const utf8Encoder = new TextEncoder()

export class Writer {
  private buf: Uint8Array
  private pos: number

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity)
    this.pos = initialCapacity
  }

  /** Bytes written so far. */
  get length(): number {
    return this.buf.length - this.pos
  }

  private grow(n: number): void {
    const used = this.length
    let cap = this.buf.length * 2
    if (cap < used + n) cap = used + n + 1024
    if (cap > 0x7fffffff) fail("message too large to encode")
    const next = new Uint8Array(cap)
    next.set(this.buf.subarray(this.pos), cap - used)
    this.buf = next
    this.pos = cap - used
  }

  byte(b: number): void {
    if (this.pos === 0) this.grow(1)
    this.buf[--this.pos] = b
  }

  bytes(src: Uint8Array): void {
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

  /** The encoding: a view of the written part of the buffer. */
  result(): Uint8Array {
    return this.buf.subarray(this.pos)
  }
}
