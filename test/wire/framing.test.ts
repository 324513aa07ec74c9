import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { encodeFrame, END_OF_STREAM, FrameDecoder } from "../../src/wire/framing.js"

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

describe("framing", () => {
  it("prefixes the payload with its 4-byte big-endian length (spec §6.8 vector)", () => {
    const payload = Uint8Array.from(Buffer.from("3020301302010504080000000000000000" + "0c043a666f6fa009a007a205a103020114", "hex"))
    const frame = encodeFrame(payload)
    expect(Buffer.from(frame.subarray(0, 4)).toString("hex")).toBe("00000022")
    expect(frame.subarray(4)).toEqual(payload)
  })

  it("reassembles frames from arbitrary chunk boundaries", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = concat(payloads.map((p) => (p.length === 0 ? END_OF_STREAM : encodeFrame(p))))
          const decoder = new FrameDecoder(1024)
          const out: Array<Uint8Array | null> = []
          let offset = 0
          let i = 0
          while (offset < stream.length) {
            const n = cuts[i++ % cuts.length]!
            out.push(...decoder.push(stream.subarray(offset, offset + n)))
            offset += n
          }
          expect(decoder.error).toBeUndefined()
          expect(out.map((f) => (f === null ? null : Array.from(f)))).toEqual(
            payloads.map((p) => (p.length === 0 ? null : Array.from(p)))
          )
        }
      )
    )
  })

  it("treats a negative length as the end of a stream, like the reference", () => {
    const decoder = new FrameDecoder(16)
    expect(decoder.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toEqual([null])
  })

  it("refuses an oversized frame on its length prefix, before the body arrives", () => {
    const decoder = new FrameDecoder(1000)
    const frames = decoder.push(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]))
    expect(frames).toEqual([])
    expect(decoder.error?._tag).toBe("FrameTooLarge")
    expect(decoder.error?.size).toBe(0x7fffffff)
    expect(decoder.error?.message).toContain("exceeds the maximum of 1000 bytes")
    // nothing more is decoded after the error
    expect(decoder.push(encodeFrame(Uint8Array.from([1])))).toEqual([])
  })
})
