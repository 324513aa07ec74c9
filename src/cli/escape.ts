/**
 * OCaml's `String.escaped`, applied to console lines before printing: a unikernel's output
 * is untrusted and must not reach the operator's terminal as control sequences.
 * Printable ASCII stays, `"` and `\` and the usual controls get backslash escapes,
 * every other byte becomes `\ddd` (decimal), exactly as the reference client prints it.
 */
export const escapeOcaml = (bytes: Uint8Array): string => {
  let out = ""
  for (const b of bytes) {
    switch (b) {
      case 0x22:
        out += '\\"'
        break
      case 0x5c:
        out += "\\\\"
        break
      case 0x0a:
        out += "\\n"
        break
      case 0x09:
        out += "\\t"
        break
      case 0x0d:
        out += "\\r"
        break
      case 0x08:
        out += "\\b"
        break
      default:
        out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\${String(b).padStart(3, "0")}`
    }
  }
  return out
}
