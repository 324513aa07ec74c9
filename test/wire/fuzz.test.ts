/**
 * Robustness: 100,000 random and mutated inputs (bit flips, byte changes, truncations,
 * insertions, length-field corruption, deep nesting, random bytes) to decodeWire, decodeState
 * and decodeCertExtension. Each must end in a value or a typed WireError: no exception, no
 * hang (one second per input is the bound that detects a hang). Every value that decodes must
 * also encode again, and that encoding must be a fixed point of decode-then-encode.
 * Inputs come from a seeded generator, so a failure names an input that can be replayed.
 */
import { Either } from "effect"
import fc from "fast-check"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import {
  decodeCertExtensionSync,
  decodeStateSync,
  decodeWireSync,
  encodeCertExtensionSync,
  encodeStateSync,
  encodeWireSync,
  WireError
} from "../../src/wire/index.js"
import { hexToBytes, type Vector } from "../support/vector-values.js"
import { certExtension, persistedState, wire } from "./arbitraries.js"
import { vectorFile } from "../support/vectors-dir.js"

const TOTAL = 100_000
const HANG_MS = 1000

const vectors: ReadonlyArray<Vector> = JSON.parse(
  readFileSync(vectorFile("vectors.json"), "utf8")
)

/** mulberry32: small, fast, seeded. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Target {
  readonly name: string
  decode(b: Uint8Array): Either.Either<unknown, WireError>
  encode(v: unknown): Either.Either<Uint8Array, WireError>
  readonly seeds: ReadonlyArray<Uint8Array>
}

const sample = <A>(arb: fc.Arbitrary<A>, n: number, seed: number): ReadonlyArray<A> => fc.sample(arb, { numRuns: n, seed })

const vectorSeeds = (kind: Vector["kind"]) => vectors.filter((v) => v.kind === kind && v.hex.length > 0).map((v) => hexToBytes(v.hex))
const encoded = <A>(values: ReadonlyArray<A>, encode: (a: A) => Either.Either<Uint8Array, WireError>) =>
  values.map((v) => Either.getOrThrow(encode(v)))

const targets: ReadonlyArray<Target> = [
  {
    name: "decodeWire",
    decode: decodeWireSync,
    encode: (v) => encodeWireSync(v as Parameters<typeof encodeWireSync>[0]),
    seeds: [...vectorSeeds("wire"), ...encoded(sample(wire, 200, 1), encodeWireSync)]
  },
  {
    name: "decodeState",
    decode: decodeStateSync,
    encode: (v) => encodeStateSync(v as Parameters<typeof encodeStateSync>[0]),
    seeds: [...vectorSeeds("state"), ...encoded(sample(persistedState, 50, 2), encodeStateSync)]
  },
  {
    name: "decodeCertExtension",
    decode: decodeCertExtensionSync,
    encode: (v) => encodeCertExtensionSync(v as Parameters<typeof encodeCertExtensionSync>[0]),
    seeds: [...vectorSeeds("cert_extension"), ...encoded(sample(certExtension, 100, 3), encodeCertExtensionSync)]
  }
]

/** Offsets of bytes that look like DER length octets: the byte after each plausible identifier. */
const lengthOffsets = (b: Uint8Array): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i + 1 < b.length; i++) {
    const t = b[i]!
    if (t === 0x30 || t === 0x31 || (t & 0xe0) === 0xa0 || (t >= 0x01 && t <= 0x18)) out.push(i + 1)
  }
  return out
}

const mutate = (rand: () => number, seed: Uint8Array): Uint8Array => {
  const pick = (n: number) => Math.floor(rand() * n)
  const b = Uint8Array.from(seed)
  switch (pick(9)) {
    case 0: {
      // flip 1..4 bits
      for (let k = 1 + pick(4); k > 0 && b.length > 0; k--) b[pick(b.length)]! ^= 1 << pick(8)
      return b
    }
    case 1: {
      if (b.length > 0) b[pick(b.length)] = pick(256)
      return b
    }
    case 2:
      return b.subarray(0, pick(b.length + 1)) // truncation
    case 3: {
      // length-field corruption
      const offs = lengthOffsets(b)
      if (offs.length === 0) return b
      const at = offs[pick(offs.length)]!
      const choices = [0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff, b[at]! + 1, b[at]! - 1, pick(256)]
      b[at] = choices[pick(choices.length)]! & 0xff
      return b
    }
    case 4: {
      // insert random bytes
      const at = pick(b.length + 1)
      const extra = Uint8Array.from({ length: 1 + pick(8) }, () => pick(256))
      return Uint8Array.from([...b.subarray(0, at), ...extra, ...b.subarray(at)])
    }
    case 5: {
      // delete a slice
      const at = pick(b.length + 1)
      return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + pick(8))])
    }
    case 6: {
      // long-form length with 1..4 octets of garbage
      const offs = lengthOffsets(b)
      if (offs.length === 0) return b
      const at = offs[pick(offs.length)]!
      const n = 1 + pick(4)
      return Uint8Array.from([...b.subarray(0, at), 0x80 | n, ...Array.from({ length: n }, () => pick(256)), ...b.subarray(at + 1)])
    }
    case 7:
      return deepNesting(rand)
    default:
      return Uint8Array.from({ length: pick(64) }, () => pick(256)) // random bytes
  }
}

/** Thousands of nested constructed elements, with definite (correct) or indefinite lengths. */
const makeDeepNesting = (rand: () => number): Uint8Array => {
  const depth = 100 + Math.floor(rand() * 20_000)
  const tags = [0x30, 0xa0, 0xa1, 0xa3, 0xb4, 0x31]
  const tag = tags[Math.floor(rand() * tags.length)]!
  if (rand() < 0.3) return Uint8Array.from({ length: depth * 2 }, (_, i) => (i % 2 === 0 ? tag : 0x80))
  // built from the inside out, back to front
  const buf = new Uint8Array(depth * 6 + 2)
  let pos = buf.length
  buf[--pos] = 0x00
  buf[--pos] = 0x05
  for (let d = 0; d < depth; d++) {
    let len = buf.length - pos
    if (len < 0x80) {
      buf[--pos] = len
    } else {
      let n = 0
      while (len > 0) {
        buf[--pos] = len & 0xff
        len = Math.floor(len / 256)
        n++
      }
      buf[--pos] = 0x80 | n
    }
    buf[--pos] = tag
  }
  return buf.subarray(pos)
}
const deepInputs = (() => {
  const rand = prng(7)
  return Array.from({ length: 40 }, () => makeDeepNesting(rand))
})()
const deepNesting = (rand: () => number): Uint8Array => deepInputs[Math.floor(rand() * deepInputs.length)]!

describe("fuzz", () => {
  it(`${TOTAL} mutated and random inputs end in a value or a WireError`, () => {
    const rand = prng(0xa1ba7055)
    const outcomes: Record<string, { ok: number; error: number }> = {}
    let slowest = 0
    for (let i = 0; i < TOTAL; i++) {
      const target = targets[i % targets.length]!
      const seed = target.seeds[Math.floor(rand() * target.seeds.length)]!
      const input = mutate(rand, seed)
      const started = performance.now()
      let result: Either.Either<unknown, WireError>
      try {
        result = target.decode(input)
      } catch (e) {
        throw new Error(`${target.name} threw on input #${i} ${Buffer.from(input).toString("hex").slice(0, 400)}: ${String(e)}`)
      }
      const took = performance.now() - started
      slowest = Math.max(slowest, took)
      if (took > HANG_MS) throw new Error(`${target.name} took ${took} ms on input #${i}`)
      const o = (outcomes[target.name] ??= { ok: 0, error: 0 })
      if (Either.isLeft(result)) {
        o.error++
        expect(result.left).toBeInstanceOf(WireError)
        if (result.left.message.startsWith("internal codec error")) {
          throw new Error(`${target.name}: ${result.left.message} on ${Buffer.from(input).toString("hex").slice(0, 400)}`)
        }
      } else {
        o.ok++
        const again = target.encode(result.right)
        if (Either.isLeft(again)) {
          throw new Error(`${target.name}: decoded value does not encode (${again.left.message}): ${Buffer.from(input).toString("hex").slice(0, 400)}`)
        }
        // The first encoding is canonical (SET OF sorted, lengths minimal): it decodes and
        // encodes to itself.
        const redecoded = target.decode(again.right)
        if (Either.isLeft(redecoded)) throw new Error(`${target.name}: own encoding does not decode: ${redecoded.left.message}`)
        const third = target.encode(redecoded.right)
        expect(Either.isRight(third) && Buffer.from(third.right).equals(Buffer.from(again.right))).toBe(true)
      }
    }
    for (const t of targets) expect(outcomes[t.name]!.ok + outcomes[t.name]!.error).toBeGreaterThan(TOTAL / 3 - 1)
    // some mutations must survive decoding, or the fuzzer only ever exercises the first check
    for (const t of targets) expect(outcomes[t.name]!.ok).toBeGreaterThan(100)
    console.log(`fuzz outcomes ${JSON.stringify(outcomes)}, slowest input ${slowest.toFixed(1)} ms`)
  })
})
