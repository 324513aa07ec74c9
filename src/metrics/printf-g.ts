/**
 * C's `%g` (as OCaml's `Printf "%g"` and so `Fmt.float` print a float): six significant digits,
 * exponent notation when the decimal exponent is below -4 or at least 6, trailing zeros and a
 * trailing point removed, the exponent with a sign and at least two digits. Rounding is done on
 * the exact binary value, halfway cases to even, as glibc does (JS `toPrecision` rounds them up).
 */

const PRECISION = 6

/** The exact value of a positive finite double as `digits × 10^-scale`. */
const exactDecimal = (x: number): { readonly digits: bigint; readonly scale: number } => {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const hi = view.getUint32(0)
  const lo = view.getUint32(4)
  const biased = (hi >>> 20) & 0x7ff
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n)
  const exp2 = (biased === 0 ? 1 : biased) - 1075
  if (exp2 >= 0) return { digits: mantissa << BigInt(exp2), scale: 0 }
  // m / 2^k = m · 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exp2), scale: -exp2 }
}

/** `precision` significant digits (rounded half to even) and the decimal exponent of the first. */
const significant = (x: number, precision: number): { readonly digits: string; readonly exponent: number } => {
  const { digits, scale } = exactDecimal(x)
  const text = digits.toString()
  let exponent = text.length - 1 - scale
  let rounded: bigint
  if (text.length <= precision) rounded = digits * 10n ** BigInt(precision - text.length)
  else {
    const unit = 10n ** BigInt(text.length - precision)
    rounded = digits / unit
    const rest = digits % unit
    const half = unit / 2n
    if (rest > half || (rest === half && rounded % 2n === 1n)) rounded += 1n
    if (rounded.toString().length > precision) {
      rounded /= 10n
      exponent += 1
    }
  }
  return { digits: rounded.toString(), exponent }
}

const stripZeros = (s: string): string => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s)

export const formatG = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (x === Infinity) return "inf"
  if (x === -Infinity) return "-inf"
  if (x === 0) return Object.is(x, -0) ? "-0" : "0"
  const sign = x < 0 ? "-" : ""
  const { digits, exponent } = significant(Math.abs(x), PRECISION)
  if (exponent < -4 || exponent >= PRECISION) {
    const mantissa = stripZeros(`${digits[0]}.${digits.slice(1)}`)
    const e = Math.abs(exponent).toString().padStart(2, "0")
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${e}`
  }
  const fixed =
    exponent >= 0
      ? `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`
      : `0.${"0".repeat(-exponent - 1)}${digits}`
  return `${sign}${stripZeros(fixed)}`
}
