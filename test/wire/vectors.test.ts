/**
 * Conformance with the golden vectors of the OCaml albatross (../shared/vectors/vectors.json):
 * roundtrip vectors decode to the stated value and re-encode to the same bytes; decode-only
 * vectors decode to the value and re-encode to `reencoded_hex`; the encode-only vector encodes
 * as stated; negative vectors are rejected with a typed WireError (no exception).
 */
import { Either } from "effect"
import { readFileSync } from "node:fs"
import path from "node:path"
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
import {
  bytesToHex,
  certExtFromJson,
  hexToBytes,
  type Json,
  stateFromJson,
  type Vector,
  wireFromJson
} from "../support/vector-values.js"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

const vectorsDir = sharedVectorsDir
const vectors: ReadonlyArray<Vector> = JSON.parse(readFileSync(path.join(vectorsDir, "vectors.json"), "utf8"))

interface Kind {
  decode(bytes: Uint8Array): Either.Either<unknown, WireError>
  encode(value: unknown): Either.Either<Uint8Array, WireError>
  fromJson(j: Json): unknown
}

const kinds: Record<Vector["kind"], Kind> = {
  wire: {
    decode: decodeWireSync,
    encode: (v) => encodeWireSync(v as Parameters<typeof encodeWireSync>[0]),
    fromJson: wireFromJson
  },
  cert_extension: {
    decode: decodeCertExtensionSync,
    encode: (v) => encodeCertExtensionSync(v as Parameters<typeof encodeCertExtensionSync>[0]),
    fromJson: certExtFromJson
  },
  state: {
    decode: decodeStateSync,
    encode: (v) => encodeStateSync(v as Parameters<typeof encodeStateSync>[0]),
    fromJson: stateFromJson
  }
}

const decoded = (k: Kind, hex: string): unknown => {
  const r = k.decode(hexToBytes(hex))
  if (Either.isLeft(r)) throw new Error(`decode failed: ${r.left.message}`)
  return r.right
}

const encodedHex = (k: Kind, value: unknown): string => {
  const r = k.encode(value)
  if (Either.isLeft(r)) throw new Error(`encode failed: ${r.left.message}`)
  return bytesToHex(r.right)
}

describe("golden vectors", () => {
  it("the file holds the 278 vectors the README announces", () => {
    expect(vectors.length).toBe(278)
  })

  for (const v of vectors) {
    const k = kinds[v.kind]
    describe(`${v.kind} ${v.direction} ${v.name}`, () => {
      switch (v.direction) {
        case "roundtrip":
          it("decodes to the value", () => expect(decoded(k, v.hex)).toEqual(k.fromJson(v.value!)))
          it("the value encodes to the bytes", () => expect(encodedHex(k, k.fromJson(v.value!))).toBe(v.hex))
          it("decode then encode is byte-identical", () => expect(encodedHex(k, decoded(k, v.hex))).toBe(v.hex))
          break
        case "decode-only":
          it("decodes to the value", () => expect(decoded(k, v.hex)).toEqual(k.fromJson(v.value!)))
          it("re-encodes to reencoded_hex", () => expect(encodedHex(k, decoded(k, v.hex))).toBe(v.reencoded_hex))
          it("the value encodes to reencoded_hex", () => expect(encodedHex(k, k.fromJson(v.value!))).toBe(v.reencoded_hex))
          break
        case "encode-only":
          // The one encode-only vector: a time 0.5 ms past the second. The reference writes ".000";
          // a JS Date has millisecond resolution, so the input already is the whole second and we
          // write what the reference writes for the decoded value (docs/COMPATIBILITY.md, "## wire codec").
          it("decodes to the value", () => expect(decoded(k, v.hex)).toEqual(k.fromJson(v.value!)))
          it("the value encodes to reencoded_hex", () => expect(encodedHex(k, k.fromJson(v.value!))).toBe(v.reencoded_hex))
          it("the input value (truncated to ms) encodes like the value", () =>
            expect(encodedHex(k, k.fromJson(v.input_value!))).toBe(v.reencoded_hex))
          break
        case "negative":
          it(`is rejected with a WireError (reference: ${v.error})`, () => {
            const r = k.decode(hexToBytes(v.hex))
            expect(Either.isLeft(r)).toBe(true)
            if (Either.isLeft(r)) {
              expect(r.left).toBeInstanceOf(WireError)
              expect(r.left.message).not.toMatch(/internal codec error/)
            }
          })
          break
      }
    })
  }
})
