/**
 * The two Solo5 ELF notes albatross reads from a unikernel image (spec §5.4 step 3, §5.5) and
 * the manifest device check. Pure and total: an image is untrusted input (it arrives over the
 * wire), so every offset and size read from it is bounds-checked and a malformed image yields
 * an error value, never an exception.
 *
 * Notes are found the way tenders and solo5-elftool do, without trusting one table alone: the
 * notes of every PT_NOTE program header and of every SHT_NOTE section are scanned for owner
 * `Solo5` and the wanted type. ELF32/ELF64, either byte order.
 */
import { Either } from "effect"

export type Solo5Target = "hvt" | "spt" | "virtio" | "muen" | "genode" | "xen"

const TARGETS: ReadonlyArray<Solo5Target> = ["hvt", "spt", "virtio", "muen", "genode", "xen"]

export const targetCode = (t: Solo5Target): number => TARGETS.indexOf(t) + 1

export interface Solo5Abi {
  /** `null` for a target number Solo5 does not define. */
  readonly target: Solo5Target | null
  readonly targetCode: number
  readonly version: number
}

export interface ManifestDevice {
  readonly kind: "block" | "net"
  readonly name: string
}

export const NOTE_OWNER = "Solo5"
export const NOTE_TYPE_ABI = 0x31494241 // "ABI1"
export const NOTE_TYPE_MANIFEST = 0x3154464d // "MFT1"
export const MANIFEST_VERSION = 1
export const MANIFEST_ENTRY_SIZE = 104
export const MANIFEST_NAME_SIZE = 68
export const MANIFEST_MAX_ENTRIES = 64
export const DEVICE_BLOCK = 1
export const DEVICE_NET = 2
export const DEVICE_RESERVED_FIRST = 0x40000000

const PT_NOTE = 4
const SHT_NOTE = 7

class Malformed {
  constructor(readonly message: string) {}
}

/** A bounds-checked reader over the image; every accessor throws `Malformed`, caught at the API edge. */
class Reader {
  private readonly view: DataView
  constructor(
    readonly bytes: Uint8Array,
    readonly little: boolean
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  check(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new Malformed("truncated ELF file")
    }
  }
  u16(o: number): number {
    this.check(o, 2)
    return this.view.getUint16(o, this.little)
  }
  u32(o: number): number {
    this.check(o, 4)
    return this.view.getUint32(o, this.little)
  }
  u64(o: number): number {
    this.check(o, 8)
    const v = this.view.getBigUint64(o, this.little)
    // larger than the image can ever be: report as out of bounds rather than lose precision
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v)
  }
}

interface Region {
  readonly offset: number
  readonly size: number
}

const noteRegions = (bytes: Uint8Array): { readonly reader: Reader; readonly regions: ReadonlyArray<Region> } => {
  if (bytes.length < 16 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Malformed("not an ELF file")
  }
  const elf64 = bytes[4] === 2 ? true : bytes[4] === 1 ? false : undefined
  const little = bytes[5] === 1 ? true : bytes[5] === 2 ? false : undefined
  if (elf64 === undefined || little === undefined) throw new Malformed("invalid ELF class or data encoding")
  const r = new Reader(bytes, little)
  const word = (o: number) => (elf64 ? r.u64(o) : r.u32(o))
  const phoff = word(elf64 ? 0x20 : 0x1c)
  const shoff = word(elf64 ? 0x28 : 0x20)
  const phentsize = r.u16(elf64 ? 0x36 : 0x2a)
  const phnum = r.u16(elf64 ? 0x38 : 0x2c)
  const shentsize = r.u16(elf64 ? 0x3a : 0x2e)
  const shnum = r.u16(elf64 ? 0x3c : 0x30)
  const regions: Array<Region> = []
  const seen = new Set<string>()
  const add = (offset: number, size: number) => {
    const key = `${offset}:${size}`
    // a region outside the file is skipped: another table may still point at the notes
    if (seen.has(key) || offset + size > bytes.length) return
    seen.add(key)
    regions.push({ offset, size })
  }
  if (phoff !== 0 && phnum > 0) {
    if (phentsize < (elf64 ? 56 : 32)) throw new Malformed("invalid program header size")
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize
      if (r.u32(ph) !== PT_NOTE) continue
      add(elf64 ? r.u64(ph + 8) : r.u32(ph + 4), elf64 ? r.u64(ph + 32) : r.u32(ph + 16))
    }
  }
  if (shoff !== 0 && shnum > 0) {
    if (shentsize < (elf64 ? 64 : 40)) throw new Malformed("invalid section header size")
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize
      if (r.u32(sh + 4) !== SHT_NOTE) continue
      add(elf64 ? r.u64(sh + 24) : r.u32(sh + 16), elf64 ? r.u64(sh + 32) : r.u32(sh + 20))
    }
  }
  return { reader: r, regions }
}

const align4 = (n: number): number => (n + 3) & ~3

/** The descriptor of the first note with owner `Solo5` and type `type`. */
const findNote = (bytes: Uint8Array, type: number, what: string): Uint8Array => {
  const { reader: r, regions } = noteRegions(bytes)
  for (const region of regions) {
    let o = region.offset
    const end = region.offset + region.size
    while (o + 12 <= end) {
      const namesz = r.u32(o)
      const descsz = r.u32(o + 4)
      const ntype = r.u32(o + 8)
      const nameStart = o + 12
      const descStart = nameStart + align4(namesz)
      const next = descStart + align4(descsz)
      if (namesz > region.size || descsz > region.size || next > end) break // garbage in this region
      const ownerMatches =
        namesz === NOTE_OWNER.length + 1 &&
        bytes[nameStart + NOTE_OWNER.length] === 0 &&
        String.fromCharCode(...bytes.subarray(nameStart, nameStart + NOTE_OWNER.length)) === NOTE_OWNER
      if (ownerMatches && ntype === type) return bytes.subarray(descStart, descStart + descsz)
      o = next
    }
  }
  throw new Malformed(`${what} not found`)
}

const run = <A>(f: () => A): Either.Either<A, string> => {
  try {
    return Either.right(f())
  } catch (e) {
    if (e instanceof Malformed) return Either.left(e.message)
    throw e
  }
}

const descReader = (desc: Uint8Array, bytes: Uint8Array): Reader => new Reader(desc, bytes[5] !== 2)

/** `.note.solo5.abi`: target and ABI version. */
export const readAbi = (bytes: Uint8Array): Either.Either<Solo5Abi, string> =>
  run(() => {
    const desc = findNote(bytes, NOTE_TYPE_ABI, "Solo5 ABI note")
    if (desc.length < 8) throw new Malformed("Solo5 ABI note too short")
    const d = descReader(desc, bytes)
    const code = d.u32(0)
    return { target: TARGETS[code - 1] ?? null, targetCode: code, version: d.u32(4) }
  })

/** `.note.solo5.manifest`: the devices, without the reserved first entry, in note order. */
export const readManifest = (bytes: Uint8Array): Either.Either<ReadonlyArray<ManifestDevice>, string> =>
  run(() => {
    const desc = findNote(bytes, NOTE_TYPE_MANIFEST, "Solo5 manifest note")
    const d = descReader(desc, bytes)
    const version = d.u32(4)
    if (version !== MANIFEST_VERSION) throw new Malformed(`unsupported manifest version ${version}`)
    const count = d.u32(8)
    if (count > MANIFEST_MAX_ENTRIES) throw new Malformed(`too many manifest entries (${count})`)
    d.check(12, count * MANIFEST_ENTRY_SIZE)
    const devices: Array<ManifestDevice> = []
    for (let i = 0; i < count; i++) {
      const e = 12 + i * MANIFEST_ENTRY_SIZE
      const nul = desc.subarray(e, e + MANIFEST_NAME_SIZE).indexOf(0)
      if (nul < 0) throw new Malformed("manifest entry name not NUL-terminated")
      const name = Buffer.from(desc.subarray(e, e + nul)).toString("latin1")
      const type = d.u32(e + MANIFEST_NAME_SIZE)
      if (i === 0) {
        if (type !== DEVICE_RESERVED_FIRST) throw new Malformed("first manifest entry is not the reserved one")
      } else if (type === DEVICE_BLOCK) devices.push({ kind: "block", name })
      else if (type === DEVICE_NET) devices.push({ kind: "net", name })
      else throw new Malformed(`unknown manifest device type ${type}`)
    }
    return devices
  })

/** OCaml's `%S`: the string quoted with `String.escaped`. */
export const ocamlQuoted = (s: string): string => {
  let out = '"'
  for (const ch of Buffer.from(s, "latin1")) {
    if (ch === 0x22) out += '\\"'
    else if (ch === 0x5c) out += "\\\\"
    else if (ch === 0x0a) out += "\\n"
    else if (ch === 0x09) out += "\\t"
    else if (ch === 0x0d) out += "\\r"
    else if (ch === 0x08) out += "\\b"
    else if (ch >= 0x20 && ch <= 0x7e) out += String.fromCharCode(ch)
    else out += "\\" + ch.toString(10).padStart(3, "0")
  }
  return out + '"'
}

const renderDevices = (devices: ReadonlyArray<ManifestDevice>): string =>
  devices.map((d) => `${d.kind} ${ocamlQuoted(d.name)}`).join(", ")

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  const sa = new Set(a)
  const sb = new Set(b)
  return sa.size === sb.size && [...sa].every((x) => sb.has(x))
}

/**
 * Spec §5.5: the manifest's block and net names against the unikernel-side block and netif
 * names of the configuration, as sets, with the reference's messages.
 */
export const checkManifestDevices = (
  manifest: ReadonlyArray<ManifestDevice>,
  config: {
    readonly blockDevices: ReadonlyArray<{ readonly name: string }>
    readonly bridges: ReadonlyArray<{ readonly netif: string }>
  }
): Either.Either<void, string> => {
  const blocks = manifest.filter((d) => d.kind === "block").map((d) => d.name)
  const nets = manifest.filter((d) => d.kind === "net").map((d) => d.name)
  if (!sameSet(blocks, config.blockDevices.map((b) => b.name))) {
    return Either.left(
      `specified block device(s) does not match with manifest. Devices present in manifest: ${renderDevices(manifest)}`
    )
  }
  if (!sameSet(nets, config.bridges.map((b) => b.netif))) {
    return Either.left(
      `specified bridge(s) does not match with the manifest. Devices present in manifest: ${renderDevices(manifest)}`
    )
  }
  return Either.right(undefined)
}
