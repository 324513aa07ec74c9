/** The stable entry points of src/wire/index.ts: Effects, Either variants, Schemas, WireError. */
import { readFileSync } from "node:fs"
import { Effect, Either, Exit, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import type { Wire } from "../../src/domain/wire.js"
import {
  CertExtensionFromBytes,
  decodeCertExtension,
  decodeState,
  decodeStateSync,
  decodeWire,
  encodeCertExtension,
  encodeState,
  encodeStatePieces,
  encodeStateSync,
  encodeWire,
  encodeWireSync,
  PersistedStateFromBytes,
  WireError,
  WireFromBytes
} from "../../src/wire/index.js"
import { vectorFile } from "../support/vectors-dir.js"

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, "hex"))

// spec §6.8: `albatross-client console foo`, sequence 0, count 20
const consoleFoo = "30203013020105040800000000000000000c043a666f6fa009a007a205a103020114"
const consoleFooWire: Wire = {
  header: { version: 5, sequence: 0n, name: Name.of([], "foo") },
  payload: { _tag: "Command", command: { _tag: "ConsoleSubscribe", query: { _tag: "Count", count: 20n } } }
}

describe("Effect entry points", () => {
  it("decodeWire / encodeWire on the spec §6.8 example", async () => {
    expect(await Effect.runPromise(decodeWire(bytes(consoleFoo)))).toEqual(consoleFooWire)
    expect(hex(await Effect.runPromise(encodeWire(consoleFooWire)))).toBe(consoleFoo)
  })
  it("certificate extensions of spec §6.8", async () => {
    const leaf = "300c020105a007a205a103020114"
    const ext = await Effect.runPromise(decodeCertExtension(bytes(leaf)))
    expect(ext).toEqual({ version: 5, command: consoleFooWire.payload._tag === "Command" ? consoleFooWire.payload.command : null })
    expect(hex(await Effect.runPromise(encodeCertExtension(ext)))).toBe(leaf)
    const policy = "3017020105a412a110300e3003020100020101020202003000"
    const p = await Effect.runPromise(decodeCertExtension(bytes(policy)))
    expect(p.command).toEqual({ _tag: "PolicyAdd", policy: { unikernels: 1n, cpuids: [0], memory: 512, block: null, bridges: [] } })
    expect(hex(await Effect.runPromise(encodeCertExtension(p)))).toBe(policy)
  })
  it("an empty state encodes as variant [6] and decodes back", async () => {
    const b = await Effect.runPromise(encodeState({ unikernels: [], policies: [] }))
    expect(hex(b)).toBe("a60630043000" + "3000")
    expect(await Effect.runPromise(decodeState(b))).toEqual({ unikernels: [], policies: [] })
  })
  it("failures are WireErrors in the error channel, naming the field", async () => {
    const exit = await Effect.runPromiseExit(decodeWire(bytes("3018300e0201050404000000010c03666f6fa006a304b3020500")))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = await Effect.runPromise(Effect.flip(decodeWire(bytes("3018300e0201050404000000010c03666f6fa006a304b3020500"))))
    expect(error).toBeInstanceOf(WireError)
    expect(error._tag).toBe("WireError")
    expect(error.message).toMatch(/^header\.sequence: /)
  })
  it("encoding a value the wire cannot carry is a WireError too", async () => {
    const bad: Wire = { ...consoleFooWire, header: { ...consoleFooWire.header, version: 4 } }
    expect((await Effect.runPromise(Effect.flip(encodeWire(bad)))).message).toMatch(/header\.version: unknown version number 4/)
    const badMemory = encodeWireSync({
      header: consoleFooWire.header,
      payload: { _tag: "Command", command: { _tag: "BlockAdd", size: 1.5 } }
    })
    expect(Either.isLeft(badMemory) && badMemory.left.message).toMatch(/^payload\.command\.block\.add: INTEGER: 1\.5 is not a safe integer/)
    const multiCpu = encodeWireSync({
      header: consoleFooWire.header,
      payload: {
        _tag: "Success",
        success: {
          _tag: "OldUnikernelInfo5",
          unikernels: [
            {
              name: Name.of([], "foo"),
              info: {
                typ: "solo5",
                failBehaviour: { _tag: "Quit" },
                startup: null,
                cpuids: [0, 1],
                memory: 32,
                blockDevices: [],
                bridges: [],
                argv: null,
                digest: new Uint8Array(0),
                started: new Date(0),
                numcpus: 1,
                linuxBootPartition: null
              }
            }
          ]
        }
      }
    })
    expect(Either.isLeft(multiCpu) && multiCpu.left.message).toMatch(/expected a single CPUid for v5 unikernel info/)
  })
})

describe("Schemas from bytes", () => {
  it("WireFromBytes decodes and encodes with the same codec", () => {
    expect(Schema.decodeUnknownSync(WireFromBytes)(bytes(consoleFoo))).toEqual(consoleFooWire)
    expect(hex(Schema.encodeSync(WireFromBytes)(consoleFooWire))).toBe(consoleFoo)
  })
  it("a decode failure is a ParseError carrying the field path", () => {
    const r = Schema.decodeUnknownEither(WireFromBytes)(bytes("301c3012020106040800000000000000000c03666f6fa006a304b3020500"))
    expect(Either.isLeft(r)).toBe(true)
    if (Either.isLeft(r)) expect(r.left.message).toMatch(/header\.version: unknown version number 0x6/)
    expect(Either.isLeft(Schema.decodeUnknownEither(WireFromBytes)("not bytes"))).toBe(true)
  })
  it("CertExtensionFromBytes and PersistedStateFromBytes", () => {
    expect(Schema.decodeUnknownSync(CertExtensionFromBytes)(bytes("3009020105a304b3020500"))).toEqual({
      version: 5,
      command: { _tag: "UnikernelInfo" }
    })
    expect(Schema.decodeUnknownSync(PersistedStateFromBytes)(bytes("a606300430003000"))).toEqual({ unikernels: [], policies: [] })
  })
})

/** The decoded state vectors (round-trip ones). */
const stateVectors = () =>
  (JSON.parse(readFileSync(vectorFile("vectors.json"), "utf8")) as ReadonlyArray<{ kind: string; direction: string; hex: string }>)
    .filter((v) => v.kind === "state" && v.direction === "roundtrip")
    .map((v) => Either.getOrThrow(decodeStateSync(bytes(v.hex))))

describe("encodeStatePieces", () => {
  const join = (p: { readonly length: number; readonly pieces: () => Iterable<Uint8Array> }): Uint8Array => {
    const parts = [...p.pieces()]
    const out = Buffer.concat(parts)
    expect(out.length).toBe(p.length)
    return out
  }
  it("gives the bytes of encodeStateSync for every state vector, and for entries of every size", () => {
    const states = stateVectors()
    expect(states.length).toBeGreaterThan(3)
    const withImages = states.find((s) => s.unikernels.length >= 2)!
    // entries whose lengths need 1, 2, 3 and 4 length octets, in an unsorted order
    const sized = withImages.unikernels.map((u, i) => ({ ...u, config: { ...u.config, image: new Uint8Array([100, 300, 70000, 17000000][i % 4]!).fill(i + 1) } }))
    for (const s of [...states, { ...withImages, unikernels: sized.reverse() }]) {
      expect(hex(join(encodeStatePieces(s)))).toBe(hex(Either.getOrThrow(encodeStateSync(s))))
    }
  })
  it("writes every image over 64 KiB as a piece of its own, the configuration's array, and joins the bytes between them", () => {
    const withOne = stateVectors().find((s) => s.unikernels.length >= 1)!
    const template = withOne.unikernels[0]!
    const images = [70_000, 100, 200_000, 300].map((n, i) => new Uint8Array(n).fill(i + 1))
    const unikernels = images.map((image, i) => ({ name: Name.of([], `u${i}`), config: { ...template.config, image } }))
    const pieces = [...encodeStatePieces({ unikernels, policies: withOne.policies }).pieces()]
    const large = pieces.filter((p) => p.length > 64 * 1024)
    expect(large).toEqual([images[0], images[2]])
    expect(large[0]).toBe(images[0])
    expect(large[1]).toBe(images[2])
    // before, between and after the two images: one piece each
    expect(pieces).toHaveLength(5)
  })
})
