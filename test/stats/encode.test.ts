/**
 * The tick's own encoder (src/daemons/stats/encode.ts) against the generic codec: the same bytes
 * for every message, and the generic codec's verdict for what the fast path leaves to it.
 */
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { encodeStatsHeader, encodeStatsPayload, FrameBatch, payloadBytes } from "../../src/daemons/stats/encode.js"
import { Name } from "../../src/domain/name.js"
import type { Stats } from "../../src/domain/stats.js"
import type { Wire } from "../../src/domain/wire.js"
import { FrameDecoder } from "../../src/wire/framing.js"
import { decodeWireSync, encodeWireSync } from "../../src/wire/index.js"
import { statsOf } from "../wire/arbitraries.js"

const INT64_MAX = 0x7fffffffffffffffn
const INT64_MIN = -0x8000000000000000n

/** Mostly int64 values, edges included, and now and then one the codec refuses. */
const int64 = fc.oneof(
  { weight: 400, arbitrary: fc.bigInt({ min: 0n, max: 1n << 40n }) },
  { weight: 200, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
  { weight: 150, arbitrary: fc.constantFrom(0n, 1n, -1n, 127n, 128n, 255n, 256n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 32n, 2n ** 32n - 1n, INT64_MAX, INT64_MIN) },
  { weight: 1, arbitrary: fc.constantFrom(INT64_MAX + 1n, 18446744073709551615n, INT64_MIN - 1n) }
)
const int32 = fc.oneof(
  { weight: 400, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  { weight: 150, arbitrary: fc.constantFrom(0, 127, 128, -128, -129, 255, 256, 32767, 32768, 69699, -1, 1500) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 40, 0.5, Number.NaN) }
)
const text = fc.oneof(
  { weight: 40, arbitrary: fc.stringMatching(/^[a-z0-9.:-]{0,20}$/) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
  { weight: 4, arbitrary: fc.string({ minLength: 120, maxLength: 300 }) }
)
const stats: fc.Arbitrary<Stats> = statsOf({ int64, int32, small: int32, text, maxVmm: 12, maxInterfaces: 4 })
const label = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,62}$/)
const name = fc
  .tuple(fc.array(label, { maxLength: 4 }), fc.option(label, { nil: null }))
  .map(([path, l]) => Name.of(path, l))

const wireOf = (n: Name, s: Stats): Wire => ({
  header: { version: 5, sequence: 0n, name: n },
  payload: { _tag: "Data", data: { _tag: "StatsData", stats: s } }
})

/** What the tick puts in a subscriber's batch for one message, or undefined when it falls back. */
const fast = (n: Name, s: Stats): Uint8Array | undefined => {
  const length = encodeStatsPayload(s)
  if (length < 0) return undefined
  const batch = new FrameBatch(16)
  batch.addMessage(encodeStatsHeader({ version: 5, sequence: 0n, name: n }), payloadBytes(length))
  expect(batch.count).toBe(1)
  return batch.frames()
}

const framed = (message: Uint8Array): Uint8Array => {
  const out = Buffer.alloc(4 + message.length)
  out.writeInt32BE(message.length, 0)
  out.set(message, 4)
  return out
}

describe("stats encoder of the tick", () => {
  it("writes what the generic codec writes, or leaves the message to it (which then refuses it or writes it)", () => {
    let fastCount = 0
    fc.assert(
      fc.property(name, stats, (n, s) => {
        const generic = encodeWireSync(wireOf(n, s))
        const mine = fast(n, s)
        if (mine === undefined) return
        fastCount++
        // the fast path only ever encodes what the generic codec accepts, to the same bytes
        expect(Either.isRight(generic)).toBe(true)
        expect(Buffer.from(mine).toString("hex")).toBe(Buffer.from(framed(Either.getOrThrow(generic))).toString("hex"))
      }),
      { numRuns: 3000 }
    )
    expect(fastCount).toBeGreaterThan(1000)
  })

  it("leaves out-of-range values and non-ASCII names to the generic codec", () => {
    const base = fc.sample(stats, { numRuns: 1, seed: 42 })[0]!
    const valid: Stats = { ...base, rusage: { ...base.rusage, maxrss: 1n }, vmm: null, ifdata: [] }
    const n = Name.of([], "web")
    const cases: ReadonlyArray<readonly [Stats, boolean]> = [
      [{ ...valid, rusage: { ...valid.rusage, maxrss: INT64_MAX + 1n } }, false],
      [{ ...valid, rusage: { ...valid.rusage, nivcsw: INT64_MIN - 1n } }, false],
      [{ ...valid, rusage: { ...valid.rusage, utime: { sec: 0n, usec: 2 ** 40 } } }, true],
      [{ ...valid, rusage: { ...valid.rusage, utime: { sec: 0n, usec: 0.5 } } }, false],
      [{ ...valid, vmm: [{ key: "zähler", value: 1n }] }, true]
    ]
    for (const [s, genericAccepts] of cases) {
      expect(fast(n, s)).toBeUndefined()
      expect(Either.isRight(encodeWireSync(wireOf(n, s)))).toBe(genericAccepts)
    }
  })

  it("takes the fast path on what a Linux tick produces", () => {
    const s: Stats = {
      rusage: {
        utime: { sec: 12n, usec: 340000 },
        stime: { sec: 0n, usec: 0 },
        maxrss: 425n,
        ixrss: 0n,
        idrss: 0n,
        isrss: 0n,
        minflt: 135n,
        majflt: 0n,
        nswap: 0n,
        inblock: 0n,
        outblock: 0n,
        msgsnd: 0n,
        msgrcv: 0n,
        nsignals: 0n,
        nvcsw: 1n,
        nivcsw: 0n
      },
      kinfoMem: { vsize: 2990080n, rss: 425n, tsize: 5n, dsize: 89n, ssize: 89n, runtime: 0n, cow: 0, start: { sec: 1795392986n, usec: 123456 } },
      vmm: null,
      ifdata: [
        {
          bridge: "service",
          flags: 69699,
          sendLength: 0,
          maxSendLength: 0,
          sendDrops: 0,
          mtu: 1500,
          baudrate: 0n,
          inputPackets: 1n,
          inputErrors: 2n,
          outputPackets: 3n,
          outputErrors: 4n,
          collisions: 5n,
          inputBytes: 6n,
          outputBytes: 7n,
          inputMcast: 8n,
          outputMcast: 0n,
          inputDropped: 9n,
          outputDropped: 2n ** 63n - 1n
        }
      ]
    }
    const n = Name.of(["alice"], "web")
    const mine = fast(n, s)
    expect(mine).toBeDefined()
    expect(Buffer.from(mine!).equals(Buffer.from(framed(Either.getOrThrow(encodeWireSync(wireOf(n, s))))))).toBe(true)
  })

  it("a batch holds several frames back to back, long messages with a long-form length", () => {
    const batch = new FrameBatch(8)
    const wires: Array<Wire> = []
    fc.assert(
      fc.property(name, stats, (n, s) => {
        const length = encodeStatsPayload(s)
        if (length < 0) return
        batch.addMessage(encodeStatsHeader({ version: 5, sequence: 0n, name: n }), payloadBytes(length))
        wires.push(wireOf(n, s))
      }),
      { numRuns: 300 }
    )
    const frames = new FrameDecoder().push(batch.frames())
    expect(frames.length).toBe(batch.count)
    expect(frames.length).toBe(wires.length)
    frames.forEach((f, i) => expect(Either.getOrThrow(decodeWireSync(f!))).toEqual(wires[i]))
  })
})
