/**
 * Number rendering of OCaml's Printf where it differs from JS `String(n)`. The reference prints
 * some sizes with `%u`, which shows a negative native int as its unsigned 64-bit value. Such
 * values only come from hand-made policies or configurations, but texts must still match.
 */

const TWO_64 = 1n << 64n

/** OCaml `%u` of a native int. */
export const unsignedText = (n: number | bigint): string => {
  const b = typeof n === "bigint" ? n : BigInt(n)
  return (b < 0n ? TWO_64 + b : b).toString()
}
