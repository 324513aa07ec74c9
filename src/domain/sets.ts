/** Small helpers for the sets that policies and configurations carry as sorted arrays. */

/** Elements of `a` that are not in `b`, in `a`'s order. */
export const difference = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>): Array<A> => {
  const inB = new Set(b)
  return a.filter((x) => !inB.has(x))
}

export const isSubset = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>): boolean => difference(a, b).length === 0

/** Ascending, duplicates removed: the set normal form used on the wire. */
export const sortedNumbers = (xs: Iterable<number>): Array<number> => [...new Set(xs)].sort((a, b) => a - b)

/** By code point, which equals UTF-8 byte order (OCaml's String compare). */
export const sortedStrings = (xs: Iterable<string>): Array<string> =>
  [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
