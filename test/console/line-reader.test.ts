/** Line rules of the console reader (spec §7.3). */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { LineReader, READ_SIZE } from "../../src/daemons/console/line-reader.js"

const enc = (s: string) => new TextEncoder().encode(s)
const text = (lines: ReadonlyArray<Uint8Array>) => lines.map((l) => Buffer.from(l).toString("latin1"))
const feed = (r: LineReader, s: string) => text(r.push(enc(s)))

describe("line reader", () => {
  it("emits complete lines and keeps the unfinished one as slack", () => {
    const r = new LineReader()
    expect(feed(r, "one\ntwo\nthr")).toEqual(["one", "two"])
    expect(r.slackLength).toBe(3)
    expect(feed(r, "ee\n")).toEqual(["three"])
    expect(r.slackLength).toBe(0)
  })

  it("discards empty lines and does not treat \\r specially", () => {
    const r = new LineReader()
    expect(feed(r, "\n\na\r\n\n\r\nb\n")).toEqual(["a\r", "\r", "b"])
  })

  it("slack across several reads joins into one line", () => {
    const r = new LineReader()
    expect(feed(r, "ab")).toEqual([])
    expect(feed(r, "cd")).toEqual([])
    expect(feed(r, "e\nf")).toEqual(["abcde"])
  })

  it("truncates a buffer of 512 bytes without newline and drops until the next newline", () => {
    const r = new LineReader()
    const long = "x".repeat(600)
    // a 600-byte chunk is two reads: 512 (truncated) then 88 dropped
    expect(feed(r, long)).toEqual(["x".repeat(512) + " [truncated]"])
    expect(r.inDropMode).toBe(true)
    expect(feed(r, "still dropped")).toEqual([])
    expect(feed(r, "gone\nkept\nhalf")).toEqual(["kept"])
    expect(r.inDropMode).toBe(false)
    expect(feed(r, "\n")).toEqual(["half"])
  })

  it("exactly 512 bytes without newline is truncated; 511 waits", () => {
    const r = new LineReader()
    expect(feed(r, "y".repeat(511))).toEqual([])
    expect(r.inDropMode).toBe(false)
    const r2 = new LineReader()
    expect(feed(r2, "y".repeat(512))).toEqual(["y".repeat(512) + " [truncated]"])
  })

  it("slack plus a read without newline reaching 512 is truncated to 512 bytes", () => {
    const r = new LineReader()
    expect(feed(r, "a".repeat(300))).toEqual([])
    expect(feed(r, "b".repeat(300))).toEqual(["a".repeat(300) + "b".repeat(212) + " [truncated]"])
    expect(feed(r, "b\nc\n")).toEqual(["c"])
  })

  it("a complete line can reach 1022 bytes (511 slack + 511 new)", () => {
    const r = new LineReader()
    expect(feed(r, "s".repeat(511))).toEqual([])
    const lines = r.push(enc("n".repeat(511) + "\n"))
    expect(lines.length).toBe(1)
    expect(lines[0]!.length).toBe(1022)
  })

  it("a chunk larger than 512 bytes is read in 512-byte pieces", () => {
    const r = new LineReader()
    // one 1000-byte line in one chunk: the first piece (512 bytes, no newline) truncates it
    expect(feed(r, "z".repeat(999) + "\nnext\n")).toEqual(["z".repeat(512) + " [truncated]", "next"])
  })

  it("lines are copies that do not keep the chunk alive", () => {
    const r = new LineReader()
    const chunk = enc("abc\ndef\n")
    const lines = r.push(chunk)
    chunk.fill(0)
    expect(text(lines)).toEqual(["abc", "def"])
    expect(lines[0]!.buffer).not.toBe(chunk.buffer)
    expect(lines[0]!.buffer.byteLength).toBe(6)
  })

  it("property: with lines shorter than 512 bytes, any chunking gives the non-empty lines in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", " ", "\r"), maxLength: 200 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        (lines, cuts) => {
          const all = enc(lines.map((l) => l + "\n").join(""))
          const r = new LineReader()
          const out: Array<string> = []
          let pos = 0
          let i = 0
          while (pos < all.length) {
            const n = cuts[i++ % cuts.length]!
            out.push(...text(r.push(all.subarray(pos, pos + n))))
            pos += n
          }
          expect(out).toEqual(lines.filter((l) => l !== ""))
        }
      )
    )
  })

  it("property: no emitted line exceeds 1022 bytes, truncated ones are 512 + marker", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 2000 }), (data, cut) => {
        const r = new LineReader()
        for (let pos = 0; pos < data.length; pos += cut) {
          for (const line of r.push(data.subarray(pos, pos + cut))) {
            expect(line.length).toBeGreaterThan(0)
            expect(line.length).toBeLessThanOrEqual(2 * READ_SIZE - 2)
            expect(line.includes(0x0a)).toBe(false)
          }
        }
      })
    )
  })
})
