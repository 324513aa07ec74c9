/**
 * Content made of several byte arrays, of a known total length: what is written to a file one
 * piece after the other without first being copied into one buffer (a large state, or a journal
 * record around an image). `pieces` may be called once per write.
 */
export interface Pieces {
  readonly length: number
  readonly pieces: () => Iterable<Uint8Array>
}

/** Fixed pieces. */
export const piecesOf = (...parts: ReadonlyArray<Uint8Array>): Pieces => ({
  length: parts.reduce((n, p) => n + p.length, 0),
  pieces: () => parts
})

/** The pieces in one buffer (tests, and readers of small content). */
export const concatPieces = (p: Pieces): Uint8Array => {
  const out = new Uint8Array(p.length)
  let at = 0
  for (const part of p.pieces()) {
    out.set(part, at)
    at += part.length
  }
  return out
}
