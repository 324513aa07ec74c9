/** The 1,024-entry ring and its bounded queries (spec §7.4, §13.1). */
import { describe, expect, it } from "vitest"
import { Ring, RING_SIZE } from "../../src/daemons/console/ring.js"

const line = (i: number) => new TextEncoder().encode(`line ${i}`)
const txt = (entries: ReadonlyArray<{ line: Uint8Array }>) => entries.map((e) => Buffer.from(e.line).toString())

/** Ring with entries 0..n-1, entry i at timestamp 1000 + i. */
const filled = (n: number) => {
  const r = new Ring()
  for (let i = 0; i < n; i++) r.push(1000 + i, line(i))
  return r
}

describe("ring", () => {
  it("holds 1024 entries, the oldest overwritten", () => {
    const r = filled(1500)
    expect(RING_SIZE).toBe(1024)
    expect(r.size).toBe(1024)
    const all = txt(r.all())
    expect(all[0]).toBe("line 476")
    expect(all[1023]).toBe("line 1499")
  })

  for (const [label, n] of [["partial", 10], ["full", 1024], ["wrapped", 3000]] as const) {
    describe(`count on a ${label} ring`, () => {
      const r = filled(n)
      const held = Math.min(n, 1024)
      it("newest count entries in chronological order", () => {
        expect(txt(r.last(3n))).toEqual([`line ${n - 3}`, `line ${n - 2}`, `line ${n - 1}`])
      })
      it("zero gives nothing", () => expect(r.last(0n)).toEqual([]))
      it("negative gives nothing (the reference looped forever on a full ring)", () => {
        expect(r.last(-1n)).toEqual([])
        expect(r.last(-(2n ** 62n))).toEqual([])
      })
      it("huge counts are clamped to what the ring holds", () => {
        expect(r.last(2n ** 62n - 1n).length).toBe(held)
        expect(r.last(1025n).length).toBe(held)
        expect(r.last(1024n).length).toBe(held)
      })
    })
    describe(`since on a ${label} ring`, () => {
      const r = filled(n)
      const held = Math.min(n, 1024)
      it("older than everything gives the whole ring once", () => {
        const got = r.since(0)
        expect(got.length).toBe(held)
        expect(txt(got)[0]).toBe(`line ${n - held}`)
        expect(r.since(-8.64e15).length).toBe(held)
      })
      it("entries at or after the time", () => {
        expect(txt(r.since(1000 + n - 2))).toEqual([`line ${n - 2}`, `line ${n - 1}`])
      })
      it("newer than everything gives nothing", () => expect(r.since(1000 + n)).toEqual([]))
    })
  }

  it("property: the ring (growing its arrays as it fills) holds the newest min(n, 1024) pushes in order", () => {
    for (const n of [0, 1, 31, 32, 33, 63, 64, 65, 500, 1023, 1024, 1025, 2047, 2048, 2049, 5000]) {
      const r = filled(n)
      const held = Math.min(n, 1024)
      expect(r.size).toBe(held)
      expect(txt(r.all())).toEqual(Array.from({ length: held }, (_, i) => `line ${n - held + i}`))
      expect(r.all().map((e) => e.timestamp)).toEqual(Array.from({ length: held }, (_, i) => 1000 + n - held + i))
    }
  })

  it("queries on an empty ring give nothing", () => {
    const r = new Ring()
    expect(r.last(5n)).toEqual([])
    expect(r.since(0)).toEqual([])
  })

  it("since stops at the first older entry walking back (clock went backwards)", () => {
    const r = new Ring()
    r.push(100, line(0))
    r.push(50, line(1))
    r.push(200, line(2))
    expect(txt(r.since(60))).toEqual(["line 2"])
  })
})
