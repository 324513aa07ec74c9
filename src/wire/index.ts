/**
 * The v5 wire codec (spec §6): the stable entry points every other part of albatross-ts uses.
 *
 * The grammar lives in `grammar/` (one definition per production of spec §6.6), built on the
 * DER combinators of `der/`. Decoding is strict DER and never copies byte strings (images,
 * block data and console lines are views into the input). Nothing here throws: every failure is
 * a `WireError` whose message names the part that failed, e.g. `header.sequence: Int64: 4 octets
 * (expected 8)`.
 */
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import type { CertExtension as CertExtensionT, PersistedState, Wire as WireT } from "../domain/wire.js"
import { CertExtension, PersistedState as PersistedStateSchema, Wire as WireSchema } from "../domain/wire.js"
import { type Codec, decodeAll, encodeAll, encodePieces, Fault } from "./der/index.js"
import { KEEP_ABOVE, State, StateJournal, statePieces } from "./grammar/state.js"
import type { Pieces } from "./pieces.js"
import { CertExtension as CertExtensionCodec, Wire as WireCodec } from "./grammar/wire.js"

export class WireError extends Data.TaggedError("WireError")<{ readonly message: string }> {}

const toWireError = (e: unknown): WireError =>
  e instanceof Fault
    ? new WireError({ message: e.describe() })
    : new WireError({ message: `internal codec error: ${e instanceof Error ? e.message : String(e)}` })

const decodeWith =
  <A>(codec: Codec<A>) =>
  (bytes: Uint8Array): Either.Either<A, WireError> => {
    try {
      return Either.right(decodeAll(codec, bytes))
    } catch (e) {
      return Either.left(toWireError(e))
    }
  }

const encodeWith =
  <A>(codec: Codec<A>, initialCapacity: number) =>
  (value: A): Either.Either<Uint8Array, WireError> => {
    try {
      return Either.right(encodeAll(codec, value, initialCapacity))
    } catch (e) {
      return Either.left(toWireError(e))
    }
  }

export const decodeWireSync: (bytes: Uint8Array) => Either.Either<WireT, WireError> = decodeWith(WireCodec)
export const encodeWireSync: (wire: WireT) => Either.Either<Uint8Array, WireError> = encodeWith(WireCodec, 1024)
export const decodeCertExtensionSync = decodeWith(CertExtensionCodec)
export const encodeCertExtensionSync = encodeWith(CertExtensionCodec, 256)
export const decodeStateSync: (bytes: Uint8Array) => Either.Either<PersistedState, WireError> = decodeWith(State)
// The daemon encodes its whole state on every change, and the next state is about as big as the
// last one: starting the writer there (with room for another entry) spares the regrowing, which
// copied every byte written so far at each doubling (most of the encode time of 200 entries).
// At most 8 MiB up front: one huge state must not make every later small one allocate as much.
let lastStateSize = 48 * 1024
export const encodeStateSync = (state: PersistedState): Either.Either<Uint8Array, WireError> => {
  const start = Math.min(8 * 1024 * 1024, lastStateSize + (lastStateSize >> 3) + 16 * 1024)
  const encoded = encodeWith(State, start)(state)
  if (Either.isRight(encoded)) lastStateSize = encoded.right.length
  return encoded
}

export type { StateJournal } from "./grammar/state.js"
/** The state's encoding piece by piece (for large states); throws `WireError` where `encodeStateSync` returns it. */
export const encodeStatePieces = (state: PersistedState): Pieces => {
  try {
    const { length, pieces } = statePieces(state)
    return {
      length,
      pieces: function* () {
        try {
          yield* pieces()
        } catch (e) {
          throw toWireError(e)
        }
      }
    }
  } catch (e) {
    throw toWireError(e)
  }
}
export const decodeStateJournalSync: (bytes: Uint8Array) => Either.Either<StateJournal, WireError> = decodeWith(StateJournal)
/**
 * A journal record's DER, as pieces: it usually holds one image (the unikernel just created),
 * which stays a piece of its own (the daemon's array, not a copy), see `statePieces`.
 */
export const encodeStateJournalPieces = (journal: StateJournal): Either.Either<Array<Uint8Array>, WireError> => {
  const start = 16 * 1024 + journal.changed.length * 1024 + journal.names.length * 64 + journal.policies.length * 256
  try {
    return Either.right(encodePieces(StateJournal, journal, KEEP_ABOVE, start))
  } catch (e) {
    return Either.left(toWireError(e))
  }
}

export const decodeWire = (bytes: Uint8Array): Effect.Effect<WireT, WireError> => Effect.suspend(() => decodeWireSync(bytes))
export const encodeWire = (wire: WireT): Effect.Effect<Uint8Array, WireError> => Effect.suspend(() => encodeWireSync(wire))
export const decodeCertExtension = (bytes: Uint8Array): Effect.Effect<CertExtensionT, WireError> =>
  Effect.suspend(() => decodeCertExtensionSync(bytes))
export const encodeCertExtension = (ext: CertExtensionT): Effect.Effect<Uint8Array, WireError> =>
  Effect.suspend(() => encodeCertExtensionSync(ext))
export const decodeState = (bytes: Uint8Array): Effect.Effect<PersistedState, WireError> => Effect.suspend(() => decodeStateSync(bytes))
export const encodeState = (state: PersistedState): Effect.Effect<Uint8Array, WireError> => Effect.suspend(() => encodeStateSync(state))

/** A Schema transformation from DER bytes to a domain value, built on the same codec. */
const fromBytes = <A, I>(
  target: Schema.Schema<A, I>,
  decode: (bytes: Uint8Array) => Either.Either<A, WireError>,
  encode: (value: A) => Either.Either<Uint8Array, WireError>
) =>
  Schema.transformOrFail(Schema.Uint8ArrayFromSelf, Schema.typeSchema(target), {
    strict: true,
    decode: (bytes, _, ast) => Either.mapLeft(decode(bytes), (e) => new ParseResult.Type(ast, bytes, e.message)),
    encode: (value, _, ast) => Either.mapLeft(encode(value), (e) => new ParseResult.Type(ast, value, e.message))
  })

/** `Schema.decodeUnknown(WireFromBytes)(bytes)`: bytes <-> Wire. */
export const WireFromBytes = fromBytes(WireSchema, decodeWireSync, encodeWireSync)
/** bytes <-> the certificate extension value { version, command }. */
export const CertExtensionFromBytes = fromBytes(CertExtension, decodeCertExtensionSync, encodeCertExtensionSync)
/** bytes <-> the persisted state { unikernels, policies }. */
export const PersistedStateFromBytes = fromBytes(PersistedStateSchema, decodeStateSync, encodeStateSync)

/** OID of the albatross certificate extension, 1.3.6.1.4.1.49836.42. */
export const CERT_EXTENSION_OID = "1.3.6.1.4.1.49836.42"
