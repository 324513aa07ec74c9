/**
 * The client's check before sending a Solo5 create (spec §5.5): the image's device
 * manifest (ELF note `.note.solo5.manifest`) must declare exactly the `--block` and
 * `--net` unikernel-side names, compared as sets, with the reference's messages.
 *
 * The ELF reading follows solo5-elftool: ELF64 only, sections found by name through the
 * section-name string table, note owner `Solo5`.
 */
import { Effect, Either } from "effect"
import type { BlockSpec, NetSpec } from "../domain/unikernel.js"
import { escapeOcaml } from "./escape.js"
import { cliError, type ClientExit } from "./exit-code.js"

export type ManifestEntry = { readonly kind: "block" | "net"; readonly name: string }

const NOTE_MANIFEST = 0x3154464d
const ENTRY_SIZE = 104
const MAX_ENTRIES = 64

class ElfError extends Error {}

const sectionDescriptor = (image: Uint8Array, sectionName: string, noteType: number): Uint8Array | undefined => {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength)
  const need = (off: number, len: number) => {
    if (off < 0 || len < 0 || off + len > image.length) throw new ElfError()
  }
  need(0, 64)
  if (image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) throw new ElfError()
  if (image[4] !== 2) throw new ElfError() // ELFCLASS64 only
  for (let i = 9; i < 16; i++) if (image[i] !== 0) throw new ElfError()
  const le = image[5] === 1 ? true : image[5] === 2 ? false : undefined
  if (le === undefined) throw new ElfError()
  const u16 = (o: number) => (need(o, 2), dv.getUint16(o, le))
  const u32 = (o: number) => (need(o, 4), dv.getUint32(o, le))
  const u64 = (o: number) => {
    need(o, 8)
    const v = dv.getBigUint64(o, le)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError()
    return Number(v)
  }
  const shoff = u32(0x28)
  const shentsize = u16(0x3a)
  const shnum = u16(0x3c)
  const shstrndx = u16(0x3e)
  const section = (i: number) => {
    const off = shoff + i * shentsize
    return { nameOff: u32(off), offset: u64(off + 24), size: u64(off + 32) }
  }
  if (shstrndx >= shnum) throw new ElfError()
  const strtab = section(shstrndx)
  const nameOf = (nameOff: number): string => {
    const start = strtab.offset + nameOff
    need(start, 0)
    const end = image.indexOf(0, start)
    if (end < 0 || end - start >= strtab.size - nameOff) throw new ElfError()
    return Buffer.from(image.subarray(start, end)).toString("latin1")
  }
  for (let i = 0; i < shnum; i++) {
    const s = section(i)
    if (nameOf(s.nameOff) !== sectionName) continue
    if (s.size < 12) throw new ElfError()
    const namesz = u32(s.offset)
    const descsz = u32(s.offset + 4)
    const type = u32(s.offset + 8)
    need(s.offset + 12, namesz)
    const owner = Buffer.from(image.subarray(s.offset + 12, s.offset + 12 + namesz)).toString("latin1")
    if (type !== noteType || owner !== "Solo5\0") return undefined
    let off = s.offset + 12 + namesz
    off += (4 - (off & 3)) & 3
    need(off, descsz)
    return image.subarray(off, off + descsz)
  }
  return undefined
}

/** The device entries of an image's manifest (`Solo5_elftool.query_manifest`). */
export const readManifest = (image: Uint8Array): Either.Either<ReadonlyArray<ManifestEntry>, string> => {
  let desc: Uint8Array | undefined
  try {
    desc = sectionDescriptor(image, ".note.solo5.manifest", NOTE_MANIFEST)
  } catch {
    return Either.left("error during ELF parsing")
  }
  if (desc === undefined) return Either.left("manifest not found")
  if (desc.length < 12 + ENTRY_SIZE) return Either.left("manifest too small")
  const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength)
  if (dv.getUint32(4, true) !== 1) return Either.left("unsupported manifest version")
  const count = dv.getUint32(8, true)
  if (count === 0) return Either.left("zero manifest entries")
  if (count > MAX_ENTRIES) return Either.left("too many manifest entries")
  if (desc.length !== 12 + count * ENTRY_SIZE) return Either.left("unexpected note size")
  const entries: Array<ManifestEntry> = []
  for (let i = 0; i < count; i++) {
    const e = desc.subarray(12 + i * ENTRY_SIZE, 12 + (i + 1) * ENTRY_SIZE)
    const nul = e.subarray(0, 68).indexOf(0)
    if (nul < 0) return Either.left("unterminated device name")
    if (!e.subarray(72, 97).every((b) => b === 0)) return Either.left("non-zero mft_entry fields")
    const type = new DataView(e.buffer, e.byteOffset, e.byteLength).getUint32(68, true)
    const name = Buffer.from(e.subarray(0, nul)).toString("latin1")
    if (i === 0) {
      if (type !== 0x40000000 || !e.subarray(0, 68).every((b) => b === 0)) return Either.left("expected RESERVED_FIRST")
      continue
    }
    if (type === 1) entries.push({ kind: "block", name })
    else if (type === 2) entries.push({ kind: "net", name })
    else if (type === 0x40000000) return Either.left("found RESERVED_FIRST not as first entry")
    else return Either.left(`unknown manifest entry type: ${type | 0}`)
  }
  return Either.right(entries)
}

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  const sa = new Set(a)
  const sb = new Set(b)
  return sa.size === sb.size && [...sa].every((x) => sb.has(x))
}

/** `Vmm_unix.devices_match`: manifest names vs configured unikernel-side names, as sets. */
export const devicesMatch = (
  manifest: ReadonlyArray<ManifestEntry>,
  bridges: ReadonlyArray<NetSpec>,
  blocks: ReadonlyArray<BlockSpec>
): Either.Either<void, string> => {
  const list = manifest.map((e) => `${e.kind} "${escapeOcaml(Buffer.from(e.name, "latin1"))}"`).join(", ")
  const manifestBlocks = manifest.filter((e) => e.kind === "block").map((e) => e.name)
  const manifestNets = manifest.filter((e) => e.kind === "net").map((e) => e.name)
  if (!sameSet(manifestBlocks, blocks.map((b) => b.name)))
    return Either.left(`specified block device(s) does not match with manifest. Devices present in manifest: ${list}`)
  if (!sameSet(manifestNets, bridges.map((n) => n.netif)))
    return Either.left(`specified bridge(s) does not match with the manifest. Devices present in manifest: ${list}`)
  return Either.right(undefined)
}

/** Fails with a CLI error (124), as the reference's `create` does, when the image does not fit the flags. */
export const checkImageManifest = (
  image: Uint8Array,
  bridges: ReadonlyArray<NetSpec>,
  blocks: ReadonlyArray<BlockSpec>
): Effect.Effect<void, ClientExit> => {
  const result = Either.flatMap(readManifest(image), (m) => devicesMatch(m, bridges, blocks))
  return Either.isLeft(result) ? Effect.fail(cliError(result.left)) : Effect.void
}
