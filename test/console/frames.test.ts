/** The hand-built console frames equal what the generic wire encoder produces. */
import { Either } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { consoleFrames, consoleHeader, encodeTimestamp } from "../../src/daemons/console/frames.js"
import { encodeFrame } from "../../src/wire/framing.js"
import { decodeWireSync, encodeWireSync } from "../../src/wire/index.js"

const expected = (name: Name, ms: number, line: Uint8Array) =>
  encodeFrame(
    Either.getOrThrow(
      encodeWireSync({
        header: { version: 5, sequence: 0n, name },
        payload: { _tag: "Data", data: { _tag: "ConsoleData", timestamp: new Date(ms), line } }
      })
    )
  )

const label = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/)
const names = fc.tuple(fc.array(label, { maxLength: 3 }), label).map(([p, l]) => Name.of(p, l))

describe("console frames", () => {
  it("match the golden vector data/console", () => {
    const hex =
      "30463013020105040800000000000000000c043a666f6fa32fa32d302b180f32303234303330343035303630375a0c1848656c6c6f2066726f6d2074686520756e696b65726e656c"
    const frames = consoleFrames(consoleHeader(":foo"), encodeTimestamp(Date.UTC(2024, 2, 4, 5, 6, 7)), [
      new TextEncoder().encode("Hello from the unikernel")
    ])
    expect(Buffer.from(frames.subarray(4)).toString("hex")).toBe(hex)
    expect(new DataView(frames.buffer).getInt32(0)).toBe(hex.length / 2)
  })

  it("property: several lines back to back equal the encoder's frames, and decode back", () => {
    fc.assert(
      fc.property(
        names,
        fc.integer({ min: 0, max: 253402300799999 }),
        fc.array(fc.uint8Array({ maxLength: 1100 }), { maxLength: 8 }),
        (name, ms, lines) => {
          const got = consoleFrames(consoleHeader(name.toString()), encodeTimestamp(ms), lines)
          const want = Buffer.concat(lines.map((l) => expected(name, ms, l)))
          expect(Buffer.from(got).equals(want)).toBe(true)
          let pos = 0
          for (const l of lines) {
            const len = new DataView(got.buffer, got.byteOffset).getInt32(pos)
            const w = Either.getOrThrow(decodeWireSync(got.subarray(pos + 4, pos + 4 + len)))
            expect(w.payload._tag === "Data" && w.payload.data._tag === "ConsoleData" && Buffer.from(w.payload.data.line).equals(l)).toBe(true)
            pos += 4 + len
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
