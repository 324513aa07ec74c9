/**
 * A minimal ELF64 file carrying the two Solo5 notes (ABI and device manifest) that the
 * client reads before a create: enough to stand in for a real unikernel image in tests.
 * The notes are reachable both as sections (by name) and through a PT_NOTE segment.
 */

export interface ManifestEntry {
  readonly name: string
  readonly kind: "block" | "net"
}

const SOLO5 = "Solo5"
const NOTE_ABI = 0x31494241
const NOTE_MANIFEST = 0x3154464d

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

const pad4 = (b: Uint8Array): Uint8Array => concat([b, new Uint8Array((4 - (b.length % 4)) % 4)])

const note = (type: number, desc: Uint8Array): Uint8Array => {
  const name = new TextEncoder().encode(`${SOLO5}\0`)
  return concat([u32(name.length), u32(desc.length), u32(type), pad4(name), pad4(desc)])
}

const manifestDesc = (entries: ReadonlyArray<ManifestEntry>): Uint8Array => {
  const entry = (name: string, type: number) => {
    const e = new Uint8Array(104)
    e.set(new TextEncoder().encode(name).subarray(0, 67), 0)
    new DataView(e.buffer).setUint32(68, type, true)
    return e
  }
  const all = [entry("", 0x40000000), ...entries.map((e) => entry(e.name, e.kind === "block" ? 1 : 2))]
  return concat([u32(0), u32(1), u32(all.length), ...all])
}

const abiDesc = (target: number, abi: number): Uint8Array => concat([u32(target), u32(abi), u32(0), u32(0)])

/** An hvt image (ABI version 2) declaring `entries`, followed by `filler` bytes of payload. */
export const solo5Image = (entries: ReadonlyArray<ManifestEntry>, filler = 4096): Uint8Array => {
  const abiNote = note(NOTE_ABI, abiDesc(1, 2))
  const manifestNote = note(NOTE_MANIFEST, manifestDesc(entries))
  const shstrtab = new TextEncoder().encode("\0.note.solo5.abi\0.note.solo5.manifest\0.shstrtab\0.text\0")
  const nameOffset = (n: string) => new TextDecoder().decode(shstrtab).indexOf(`\0${n}\0`) + 1
  const text = new Uint8Array(filler).map((_, i) => (i * 31 + 7) & 0xff)

  const ehsize = 64
  const phentsize = 56
  const phnum = 1
  const shentsize = 64
  const abiOff = ehsize + phentsize * phnum
  const manOff = abiOff + abiNote.length
  const textOff = manOff + manifestNote.length
  const strOff = textOff + text.length
  const shOff = (strOff + shstrtab.length + 7) & ~7
  const shnum = 5

  const buf = new Uint8Array(shOff + shentsize * shnum)
  const dv = new DataView(buf.buffer)
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0) // ELF64, little endian, version 1
  dv.setUint16(16, 2, true) // ET_EXEC
  dv.setUint16(18, 62, true) // x86-64
  dv.setUint32(20, 1, true)
  dv.setBigUint64(24, 0x100000n, true) // entry
  dv.setBigUint64(32, BigInt(ehsize), true) // phoff
  dv.setBigUint64(40, BigInt(shOff), true) // shoff
  dv.setUint16(52, ehsize, true)
  dv.setUint16(54, phentsize, true)
  dv.setUint16(56, phnum, true)
  dv.setUint16(58, shentsize, true)
  dv.setUint16(60, shnum, true)
  dv.setUint16(62, 4, true) // shstrndx

  // PT_NOTE covering both notes
  dv.setUint32(ehsize, 4, true)
  dv.setUint32(ehsize + 4, 4, true) // PF_R
  dv.setBigUint64(ehsize + 8, BigInt(abiOff), true)
  dv.setBigUint64(ehsize + 16, BigInt(abiOff), true)
  dv.setBigUint64(ehsize + 24, BigInt(abiOff), true)
  dv.setBigUint64(ehsize + 32, BigInt(abiNote.length + manifestNote.length), true)
  dv.setBigUint64(ehsize + 40, BigInt(abiNote.length + manifestNote.length), true)
  dv.setBigUint64(ehsize + 48, 4n, true)

  buf.set(abiNote, abiOff)
  buf.set(manifestNote, manOff)
  buf.set(text, textOff)
  buf.set(shstrtab, strOff)

  const section = (index: number, name: string, type: number, offset: number, size: number, align: number) => {
    const base = shOff + index * shentsize
    dv.setUint32(base, nameOffset(name), true)
    dv.setUint32(base + 4, type, true)
    dv.setBigUint64(base + 8, type === 7 ? 2n : 0n, true) // SHF_ALLOC for notes
    dv.setBigUint64(base + 24, BigInt(offset), true)
    dv.setBigUint64(base + 32, BigInt(size), true)
    dv.setBigUint64(base + 48, BigInt(align), true)
  }
  section(1, ".note.solo5.abi", 7, abiOff, abiNote.length, 4)
  section(2, ".note.solo5.manifest", 7, manOff, manifestNote.length, 4)
  section(3, ".text", 1, textOff, text.length, 16)
  section(4, ".shstrtab", 3, strOff, shstrtab.length, 1)
  return buf
}
