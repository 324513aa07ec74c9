/**
 * The persisted state `<dbdir>/state` (spec §4.2 steps 5-6, §4.8), in the reference's DER
 * format (State variant [6], `encodeState`/`decodeState` of src/wire), so the OCaml albatrossd
 * can read what we write and the other way round.
 */
import { Context, Data, type Effect } from "effect"
import type { PersistedState } from "../domain/wire.js"

export class StateError extends Data.TaggedError("StateError")<{ readonly message: string }> {}

export const EMPTY_STATE: PersistedState = { unikernels: [], policies: [] }

export interface StateStoreService {
  /**
   * Reads the state. Missing file: a warning is logged and the state is empty.
   * Errors: `while reading state: <err>`, `couldn't parse state: <err>`.
   */
  readonly restore: Effect.Effect<PersistedState, StateError>
  /**
   * Atomic: encoded to `state.tmp`, fsync'd, the previous `state` renamed to `state.bak`, the
   * temp file renamed to `state`, the directory fsync'd. On disk when this completes.
   * Concurrent dumps may be group-committed: only the newest waiting state is written, which
   * is right as long as every state passed is a full snapshot (it is: the whole daemon state).
   */
  readonly dump: (state: PersistedState) => Effect.Effect<void, StateError>
  /** Copies `state` to `state.started` (spec §4.2 step 6); errors are only logged. */
  readonly snapshotStarted: Effect.Effect<void>
}

export class StateStore extends Context.Tag("albatross/StateStore")<StateStore, StateStoreService>() {}
