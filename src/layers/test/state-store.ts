/**
 * In-memory StateStore that still goes through the real DER codec, so what a test "persists"
 * is exactly what would reach the disk: `bytes` is the current `state` file, `backup` the
 * previous one, `started` the startup snapshot; `dumps` counts writes.
 */
import { Effect, Either, Layer } from "effect"
import type { PersistedState } from "../../domain/wire.js"
import { EMPTY_STATE, StateError, StateStore, type StateStoreService } from "../../services/state-store.js"
import { decodeStateSync, encodeStateSync } from "../../wire/index.js"

export class TestStateStore {
  bytes: Uint8Array | undefined
  backup: Uint8Array | undefined = undefined
  started: Uint8Array | undefined = undefined
  dumps = 0
  /** When set, dump fails with this message. */
  failDump: string | undefined = undefined

  constructor(initial?: Uint8Array) {
    this.bytes = initial
  }

  /** The current state, decoded (throws if the bytes do not decode: a test bug). */
  current(): PersistedState {
    if (this.bytes === undefined) return EMPTY_STATE
    return Either.getOrThrow(decodeStateSync(this.bytes))
  }

  readonly service: StateStoreService = {
    restore: Effect.suspend(() => {
      if (this.bytes === undefined) {
        return Effect.as(Effect.logWarning("no state file found, starting with an empty state"), EMPTY_STATE)
      }
      return Either.match(decodeStateSync(this.bytes), {
        onLeft: (e) => Effect.fail(new StateError({ message: `couldn't parse state: ${e.message}` })),
        onRight: (s) => Effect.succeed(s)
      })
    }),
    dump: (state) =>
      Effect.suspend(() => {
        if (this.failDump !== undefined) return Effect.fail(new StateError({ message: this.failDump }))
        return Either.match(encodeStateSync(state), {
          onLeft: (e) => Effect.fail(new StateError({ message: `couldn't encode state: ${e.message}` })),
          onRight: (bytes) =>
            Effect.sync(() => {
              this.backup = this.bytes
              this.bytes = bytes
              this.dumps++
            })
        })
      }),
    snapshotStarted: Effect.sync(() => {
      this.started = this.bytes
    })
  }

  readonly layer: Layer.Layer<StateStore> = Layer.succeed(StateStore, this.service)
}
