/**
 * Properties over arbitrary domain values: encode-then-decode is the identity, and
 * decode-then-encode gives the same bytes.
 */
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  decodeCertExtensionSync,
  decodeStateSync,
  decodeWireSync,
  encodeCertExtensionSync,
  encodeStateSync,
  encodeWireSync,
  type WireError
} from "../../src/wire/index.js"
import { certExtension, persistedState, wire } from "./arbitraries.js"

const right = <A>(e: Either.Either<A, WireError>): A => {
  if (Either.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const roundtrip = <A>(
  what: string,
  arb: fc.Arbitrary<A>,
  encode: (a: A) => Either.Either<Uint8Array, WireError>,
  decode: (b: Uint8Array) => Either.Either<A, WireError>,
  numRuns: number
) =>
  describe(what, () => {
    it("encode then decode is the identity", () => {
      fc.assert(
        fc.property(arb, (v) => {
          expect(right(decode(right(encode(v))))).toEqual(v)
        }),
        { numRuns }
      )
    })
    it("decode then encode gives the same bytes", () => {
      fc.assert(
        fc.property(arb, (v) => {
          const bytes = right(encode(v))
          expect(Buffer.from(right(encode(right(decode(bytes)))))).toEqual(Buffer.from(bytes))
        }),
        { numRuns }
      )
    })
  })

roundtrip("Wire", wire, encodeWireSync, decodeWireSync, 2000)
roundtrip("certificate extension", certExtension, encodeCertExtensionSync, decodeCertExtensionSync, 500)
roundtrip("persisted state", persistedState, encodeStateSync, decodeStateSync, 300)
