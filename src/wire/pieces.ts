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

/**
 * The same bytes with runs of small parts (each at most `small` bytes) joined into one part
 * (copied), and every larger part passed on as it is: each part is one write for the file
 * writers, so a few large parts and few small ones.
 */
export function* coalesced(parts: Iterable<Uint8Array>, small: number): Generator<Uint8Array> {
  let run: Array<Uint8Array> = []
  let runLength = 0
  const flush = (): Uint8Array | undefined => {
    if (run.length === 0) return undefined
    const joined = run.length === 1 ? run[0]! : concatPieces({ length: runLength, pieces: () => run })
    run = []
    runLength = 0
    return joined
  }
  for (const part of parts) {
    if (part.length > small) {
      const before = flush()
      if (before !== undefined) yield before
      yield part
      continue
    }
    if (part.length === 0) continue
    run.push(part)
    runLength += part.length
    // a long run of small parts is written as it fills up, not held to the end
    if (runLength > small) yield flush()!
  }
  const rest = flush()
  if (rest !== undefined) yield rest
}
