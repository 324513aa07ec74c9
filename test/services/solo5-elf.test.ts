import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { checkManifestDevices, ocamlQuoted, readAbi, readManifest } from "../../src/domain/solo5-elf.js"
import { solo5Image } from "../fixtures/solo5-image.js"

const devices = [
  { kind: "net", name: "service" },
  { kind: "block", name: "storage" }
] as const

describe("Solo5 ELF notes", () => {
  it("reads target, ABI and manifest of a valid image", () => {
    const img = solo5Image({ target: "spt", abi: 7, devices })
    expect(readAbi(img)).toEqual(Either.right({ target: "spt", targetCode: 2, version: 7 }))
    expect(readManifest(img)).toEqual(Either.right(devices))
  })

  it("reports unknown targets by number", () => {
    expect(readAbi(solo5Image({ target: 9 }))).toEqual(Either.right({ target: null, targetCode: 9, version: 2 }))
  })

  it("finds notes through the program headers when the section headers are gone", () => {
    const img = solo5Image({ devices })
    const dv = new DataView(img.buffer)
    dv.setBigUint64(40, 0n, true) // e_shoff
    dv.setUint16(60, 0, true) // e_shnum
    expect(readManifest(img)).toEqual(Either.right(devices))
  })

  it("finds notes through the section headers when the program headers are gone", () => {
    const img = solo5Image({ devices })
    const dv = new DataView(img.buffer)
    dv.setUint16(56, 0, true) // e_phnum
    expect(readAbi(img)).toEqual(Either.right({ target: "hvt", targetCode: 1, version: 2 }))
  })

  it("fails on missing notes and non-ELF input", () => {
    expect(readAbi(solo5Image({ omitAbi: true }))).toEqual(Either.left("Solo5 ABI note not found"))
    expect(readManifest(solo5Image({ omitManifest: true }))).toEqual(Either.left("Solo5 manifest note not found"))
    expect(readAbi(new TextEncoder().encode("#!/bin/sh\necho hi\n"))).toEqual(Either.left("not an ELF file"))
    expect(readAbi(new Uint8Array(0))).toEqual(Either.left("not an ELF file"))
  })

  it("rejects a manifest whose entry count runs past the note", () => {
    const img = solo5Image({ devices })
    // entry count lives 8 bytes into the descriptor; find it by its value (3 = reserved + 2)
    const desc = Buffer.from(img).indexOf(Buffer.from([1, 0, 0, 0, 3, 0, 0, 0]))
    expect(desc).toBeGreaterThan(0)
    new DataView(img.buffer).setUint32(desc + 4, 40, true)
    expect(Either.isLeft(readManifest(img))).toBe(true)
  })

  it("never throws on random bytes or mutated images", () => {
    const base = solo5Image({ devices })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        readAbi(bytes)
        readManifest(bytes)
      })
    )
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        (edits) => {
          const img = base.slice()
          for (const [at, v] of edits) img[at] = v
          const abi = readAbi(img)
          const mft = readManifest(img)
          expect(Either.isLeft(abi) || Either.isRight(abi)).toBe(true)
          expect(Either.isLeft(mft) || Either.isRight(mft)).toBe(true)
        }
      ),
      { numRuns: 2000 }
    )
    // truncations at every length
    for (let n = 0; n < base.length; n += 7) {
      readAbi(base.subarray(0, n))
      readManifest(base.subarray(0, n))
    }
  })
})

describe("manifest device check (spec §5.5)", () => {
  const cfg = (blocks: ReadonlyArray<string>, nets: ReadonlyArray<string>) => ({
    blockDevices: blocks.map((name) => ({ name })),
    bridges: nets.map((netif) => ({ netif }))
  })

  it("accepts equal sets in any order, with duplicates", () => {
    const m = [
      { kind: "net" as const, name: "a" },
      { kind: "net" as const, name: "b" }
    ]
    expect(checkManifestDevices(m, cfg([], ["b", "a", "a"]))).toEqual(Either.right(undefined))
  })

  it("reports a block mismatch first, listing every manifest device", () => {
    expect(checkManifestDevices(devices, cfg([], []))).toEqual(
      Either.left(
        'specified block device(s) does not match with manifest. Devices present in manifest: net "service", block "storage"'
      )
    )
  })

  it("reports a network mismatch", () => {
    expect(checkManifestDevices(devices, cfg(["storage"], ["other"]))).toEqual(
      Either.left(
        'specified bridge(s) does not match with the manifest. Devices present in manifest: net "service", block "storage"'
      )
    )
  })

  it("an empty manifest renders as an empty list", () => {
    expect(checkManifestDevices([], cfg([], ["x"]))).toEqual(
      Either.left("specified bridge(s) does not match with the manifest. Devices present in manifest: ")
    )
  })

  it("quotes names like OCaml %S", () => {
    expect(ocamlQuoted('a"b\\c\n\u0001é')).toBe('"a\\"b\\\\c\\n\\001\\233"')
  })
})

describe("Solo5 ELF notes with one broken table", () => {
  it("ignores a PT_NOTE pointing outside the file when the sections still find the note", () => {
    const img = solo5Image({ devices })
    const dv = new DataView(img.buffer)
    dv.setBigUint64(64 + 8, 0xffffffn, true) // first program header's p_offset
    expect(readAbi(img)).toEqual(Either.right({ target: "hvt", targetCode: 1, version: 2 }))
  })
})
