/**
 * Typed DER combinators. A `Codec<A>` reads one element into an `A` and writes an `A` as one
 * element. The grammar (`src/wire/grammar/`) is built from these alone, one definition per
 * production of spec §6.6.
 *
 * Decoding descends only as deep as the grammar does — no combinator recurses on the input's
 * own nesting — so hostile input cannot drive the decoder deeper than the grammar's fixed depth.
 */
import { fail, hexByte, relabel } from "./fault.js"
import { Reader } from "./reader.js"
import { Writer } from "./writer.js"

export interface Codec<A> {
  /** Identifier octets this codec's element can start with (for OPTIONAL and CHOICE). */
  readonly tags: ReadonlyArray<number>
  /** Set by `optional`: a SEQUENCE leaves the field `null` when the next tag is not one of `tags`. */
  readonly optional?: boolean
  decode(r: Reader): A
  encode(w: Writer, value: A): void
}

export type TypeOf<C> = C extends Codec<infer A> ? A : never

/** A codec for a value whose domain form differs from its wire form. */
export const map = <A, B>(codec: Codec<A>, decode: (a: A) => B, encode: (b: B) => A): Codec<B> => ({
  tags: codec.tags,
  decode: (r) => decode(codec.decode(r)),
  encode: (w, b) => codec.encode(w, encode(b))
})

/**
 * Encodes a value through `codec` once and writes the same bytes again for the same object, as
 * long as it lives (a WeakMap: the cache goes with the value). For immutable values encoded over
 * and over: the daemon rewrites its whole state file, every unikernel's configuration in it, on
 * each change. Only encodings of at most `maxBytes` are kept: a configuration with a real image
 * is mostly image bytes, which are copied at the same cost either way, and a cached copy would
 * double the image's memory. Decoding is `codec`'s.
 */
export const encodedOnce = <A extends object>(codec: Codec<A>, maxBytes: number): Codec<A> => {
  const cache = new WeakMap<A, Uint8Array>()
  return {
    tags: codec.tags,
    decode: (r) => codec.decode(r),
    encode(w, value) {
      const known = cache.get(value)
      if (known !== undefined) return w.bytes(known)
      const start = w.length
      codec.encode(w, value)
      const n = w.length - start
      // the writer fills from the end: the element just written starts its result
      if (n <= maxBytes) {
        const written = w.front(n)
        if (written !== undefined) cache.set(value, written.slice())
      }
    }
  }
}

/** `X OPTIONAL`: absent (omitted on encode) when `null`. Only meaningful as a SEQUENCE field. */
export const optional = <A>(codec: Codec<A>): Codec<A | null> => ({
  tags: codec.tags,
  optional: true,
  decode: (r) => codec.decode(r),
  encode: (w, a) => {
    if (a !== null) codec.encode(w, a)
  }
})

type Fields = Record<string, Codec<unknown>>
export type SequenceOf<F extends Fields> = { [K in keyof F]: TypeOf<F[K]> }

/**
 * `SEQUENCE { ... }` with the fields in the order of the object literal. Missing required
 * fields and trailing elements are errors. `tag` is 0x30 unless the one IMPLICIT tag applies.
 */
export const sequence = <F extends Fields>(fields: F, tag = 0x30): Codec<SequenceOf<F>> => {
  const keys = Object.keys(fields)
  const codecs = keys.map((k) => fields[k]!)
  const n = keys.length
  // Every decoded record starts as a clone of this one: all fields present from the start, so
  // filling them in never changes the object's shape or regrows its property storage.
  const template: Record<string, unknown> = {}
  for (const k of keys) template[k] = null
  return {
    tags: [tag],
    decode(r) {
      const end = r.enter(tag, "SEQUENCE")
      const outer = r.end
      r.end = end
      const out: Record<string, unknown> = { ...template }
      for (let i = 0; i < n; i++) {
        const codec = codecs[i]!
        const key = keys[i]!
        if (codec.optional === true) {
          if (r.pos >= end || !codec.tags.includes(r.buf[r.pos]!)) {
            out[key] = null
            continue
          }
        } else if (r.pos >= end) {
          fail(`SEQUENCE: missing required ${key}`)
        }
        try {
          out[key] = codec.decode(r)
        } catch (e) {
          relabel(e, key)
        }
      }
      if (r.pos !== end) fail(`SEQUENCE: unexpected element with tag ${hexByte(r.buf[r.pos]!)} after the last field`)
      r.end = outer
      return out as SequenceOf<F>
    },
    encode(w, value) {
      const start = w.length
      const record = value as Record<string, unknown>
      for (let i = n - 1; i >= 0; i--) {
        const key = keys[i]!
        try {
          codecs[i]!.encode(w, record[key])
        } catch (e) {
          relabel(e, key)
        }
      }
      w.header(tag, w.length - start)
    }
  }
}

/** `[n] IMPLICIT SEQUENCE { ... }`: the context tag replaces the SEQUENCE identifier. */
export const implicitSequence = <F extends Fields>(n: number, fields: F): Codec<SequenceOf<F>> =>
  sequence(fields, 0xa0 + n)

const listOf = <A>(element: Codec<A>, tag: number, what: string, sorted: boolean): Codec<ReadonlyArray<A>> => ({
  tags: [tag],
  decode(r) {
    const end = r.enter(tag, what)
    const outer = r.end
    r.end = end
    const out: Array<A> = []
    while (r.pos < end) {
      try {
        out.push(element.decode(r))
      } catch (e) {
        relabel(e, `[${out.length}]`)
      }
    }
    r.end = outer
    return out
  },
  encode(w, values) {
    const start = w.length
    if (sorted && values.length > 1) {
      // DER SET OF: elements in ascending order of their encodings, a proper prefix first.
      const encoded = values.map((v, i) => {
        const own = new Writer(64)
        try {
          element.encode(own, v)
        } catch (e) {
          relabel(e, `[${i}]`)
        }
        return own.result()
      })
      encoded.sort(compareBytes)
      for (let i = encoded.length - 1; i >= 0; i--) w.bytes(encoded[i]!)
    } else {
      for (let i = values.length - 1; i >= 0; i--) {
        try {
          element.encode(w, values[i]!)
        } catch (e) {
          relabel(e, `[${i}]`)
        }
      }
    }
    w.header(tag, w.length - start)
  }
})

/** `SEQUENCE OF X`, in order. */
export const sequenceOf = <A>(element: Codec<A>): Codec<ReadonlyArray<A>> => listOf(element, 0x30, "SEQUENCE OF", false)

/** `SET OF X`: written in DER order; read in whatever order it comes (the reference does not check). */
export const setOf = <A>(element: Codec<A>): Codec<ReadonlyArray<A>> => listOf(element, 0x31, "SET OF", true)

export const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** `[n] X` — EXPLICIT, context-specific, constructed: exactly one element inside. */
export const explicit = <A>(n: number, inner: Codec<A>): Codec<A> => {
  const tag = 0xa0 + n
  const what = `[${n}]`
  return {
    tags: [tag],
    decode(r) {
      const end = r.enter(tag, what)
      const outer = r.end
      r.end = end
      const value = inner.decode(r)
      if (r.pos !== end) fail(`${what}: more than one element inside an explicit tag`)
      r.end = outer
      return value
    },
    encode(w, value) {
      const start = w.length
      inner.encode(w, value)
      w.header(tag, w.length - start)
    }
  }
}

/** One alternative of a CHOICE: how to read it, and which values it writes. */
export interface Alternative<T> {
  readonly label: string
  readonly codec: Codec<T>
  /**
   * Whether this alternative writes `value`; decode-only (legacy) alternatives never do.
   * (A method, so that an alternative for one variant counts as one for the whole union.)
   */
  writes(value: T): boolean
}

type Tagged = { readonly _tag: string }

/** An alternative for one tagged variant of a domain union. */
export const variant = <T extends Tagged, K extends T["_tag"], A>(
  label: string,
  codec: Codec<A>,
  tag: K,
  decode: (a: A) => T,
  encode: (t: Extract<T, { readonly _tag: K }>) => A
): Alternative<T> => ({
  label,
  codec: map(codec, decode, (t) => encode(t as Extract<T, { readonly _tag: K }>)),
  writes: (t) => t._tag === tag
})

/** An alternative that is only ever read (a legacy form); it never writes. */
export const legacy = <T, A>(label: string, codec: Codec<A>, decode: (a: A) => T): Alternative<T> => ({
  label,
  codec: map(codec, decode, () => fail(`${label} is decode-only`)),
  writes: () => false
})

/** An alternative that is itself a CHOICE over some variants of the union (a nested command group). */
export const group = <T extends Tagged>(label: string, codec: Codec<T>, tags: ReadonlyArray<T["_tag"]>): Alternative<T> => {
  const set = new Set<string>(tags)
  return { label, codec, writes: (t) => set.has(t._tag) }
}

/** An alternative that exists on the wire but is refused when read (e.g. the dropped log command). */
export const refused = <T>(label: string, codec: Codec<unknown>, reason: string): Alternative<T> => ({
  label,
  codec: { tags: codec.tags, decode: () => fail(reason), encode: () => fail(reason) },
  writes: () => false
})

/** An alternative for a plain (non-union) value. */
export const alternative = <T>(label: string, codec: Codec<T>, writes: (value: T) => boolean): Alternative<T> => ({
  label,
  codec,
  writes
})

/** An untagged `CHOICE`: the alternatives are told apart by their own identifier octets. */
export const choice = <T>(name: string, alternatives: ReadonlyArray<Alternative<T>>): Codec<T> => {
  const byTag = new Array<Alternative<T> | undefined>(256)
  const tags: Array<number> = []
  for (const alt of alternatives) {
    for (const t of alt.codec.tags) {
      if (byTag[t] !== undefined) throw new Error(`${name}: two alternatives start with ${hexByte(t)}`)
      byTag[t] = alt
      tags.push(t)
    }
  }
  const expected = tags.map(hexByte).join(", ")
  return {
    tags,
    decode(r) {
      const t = r.peek()
      if (t < 0) fail(`${name}: missing (end of data)`)
      const alt = byTag[t]
      if (alt === undefined) return fail(`${name}: unexpected tag ${hexByte(t)} (expected one of ${expected})`)
      try {
        return alt.codec.decode(r)
      } catch (e) {
        return relabel(e, alt.label)
      }
    },
    encode(w, value) {
      for (const alt of alternatives) {
        if (alt.writes(value)) {
          try {
            alt.codec.encode(w, value)
          } catch (e) {
            relabel(e, alt.label)
          }
          return
        }
      }
      fail(`${name}: no alternative writes this value`)
    }
  }
}

/** Runs a decoder over a whole buffer: exactly one element, nothing after it. */
export const decodeAll = <A>(codec: Codec<A>, bytes: Uint8Array): A => {
  const r = new Reader(bytes)
  const value = codec.decode(r)
  if (r.pos !== bytes.length) fail("trailing bytes")
  return value
}

export const encodeAll = <A>(codec: Codec<A>, value: A, initialCapacity = 1024): Uint8Array => {
  const w = new Writer(initialCapacity)
  codec.encode(w, value)
  return w.result()
}

/**
 * The encoding as pieces, in order: byte strings longer than `keepAbove` are pieces of their own
 * (the value's own arrays, not copies), the bytes between them are views of the writer's buffer.
 */
export const encodePieces = <A>(codec: Codec<A>, value: A, keepAbove: number, initialCapacity = 1024): Array<Uint8Array> => {
  const w = new Writer(initialCapacity, { keepAbove })
  codec.encode(w, value)
  return w.pieces()
}
