/**
 * The hexdump `--socket -` prints (the layout of `Ohex.pp_hexdump ()`): per 16 bytes a
 * 6-digit offset, two spaces, byte pairs separated by a space with an extra space after
 * every 8 bytes, then the printable characters (others as `.`).
 */
const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")

export const hexdump = (bytes: Uint8Array): string => {
  let out = ""
  bytes.forEach((b, idx) => {
    if (idx % 16 === 0) out += idx.toString(16).padStart(6, "0") + "  "
    out += b.toString(16).padStart(2, "0")
    if (idx % 2 === 1) out += " "
    if (idx % 8 === 7) out += " "
    if (idx % 16 === 15) {
      for (const c of bytes.subarray(idx - 15, idx + 1)) out += printable(c)
      out += "\n"
    }
  })
  const rest = bytes.length % 16
  if (rest !== 0) {
    const pad = 16 - rest
    out += " ".repeat(pad * 2 + Math.floor((pad + 1) / 2) + (pad > 8 ? 1 : 0) + 1)
    for (const c of bytes.subarray(bytes.length - rest)) out += printable(c)
    out += "\n"
  }
  return out
}
