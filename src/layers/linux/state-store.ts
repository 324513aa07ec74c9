/**
 * StateStore on a POSIX host: `<dbdir>/state` in the reference's DER format.
 *
 * A dump writes `state` atomically: the encoded state goes to a temporary file that is
 * fsync'd; the current `state` is hard-linked as `state.bak` (so `state` never disappears,
 * unlike the reference's rename-then-write); the temporary file is renamed over `state`; the
 * directory is fsync'd. A crash at any point leaves a complete `state`.
 *
 * Group commit: while a write is in flight, later dumps wait; when it is done only the newest
 * waiting state is written, and every waiter completes once that write is durable. Each state
 * the daemon dumps is a snapshot of everything so far, so the newest one contains what every
 * earlier waiter asked to persist; under load this turns N writes and fsyncs into about two.
 */
import { linkSync, rmSync } from "node:fs"
import { copyFile, readFile } from "node:fs/promises"
import { Deferred, Effect, Either, Layer } from "effect"
import { decodeStateSync, encodeStateSync } from "../../wire/index.js"
import { HostPaths, type HostPathsConfig, statePath } from "../../services/host-paths.js"
import { EMPTY_STATE, StateError, StateStore, type StateStoreService } from "../../services/state-store.js"
import { writeFileAtomic } from "./atomic-file.js"
import { errnoText } from "./errno-text.js"

const isNoEntry = (e: unknown): boolean => typeof e === "object" && e !== null && "code" in e && e.code === "ENOENT"

export const makePosixStateStore = (paths: HostPathsConfig): StateStoreService => {
  const file = statePath(paths)
  const writeOnce = (bytes: Uint8Array) =>
    Effect.tryPromise({
      try: () =>
        writeFileAtomic(file, bytes, {
          // the reference writes it 0644 (readable by the dump tools of the client)
          mode: 0o644,
          durable: true,
          // synchronous, as the rest of the write's metadata steps (see atomic-file.ts)
          beforeRename: async () => {
            rmSync(`${file}.bak`, { force: true })
            try {
              linkSync(file, `${file}.bak`)
            } catch (e) {
              if (!isNoEntry(e)) throw e
            }
          }
        }),
      catch: (e) => new StateError({ message: `while writing state: ${errnoText(e)}` })
    })

  // one writer at a time (two interleaved rotations would race on state.bak); see group commit above
  let writing = false
  let pending: { bytes: Uint8Array; readonly waiters: Array<Deferred.Deferred<void, StateError>> } | undefined
  const drain: Effect.Effect<void> = Effect.gen(function* () {
    for (;;) {
      const batch = pending
      if (batch === undefined) {
        writing = false
        return
      }
      pending = undefined
      const result = yield* Effect.exit(writeOnce(batch.bytes))
      for (const waiter of batch.waiters) yield* Deferred.done(waiter, result)
    }
  })

  return {
    restore: Effect.gen(function* () {
      const bytes = yield* Effect.tryPromise(() => readFile(file)).pipe(Effect.either)
      if (Either.isLeft(bytes)) {
        if (isNoEntry(bytes.left.error)) {
          yield* Effect.logWarning(`no state file ${file} found, starting with an empty state`)
          return EMPTY_STATE
        }
        return yield* new StateError({ message: `while reading state: ${errnoText(bytes.left.error)}` })
      }
      const state = decodeStateSync(new Uint8Array(bytes.right.buffer, bytes.right.byteOffset, bytes.right.byteLength))
      if (Either.isLeft(state)) return yield* new StateError({ message: `couldn't parse state: ${state.left.message}` })
      return state.right
    }),
    dump: (state) =>
      Effect.gen(function* () {
        const bytes = encodeStateSync(state)
        if (Either.isLeft(bytes)) return yield* new StateError({ message: `couldn't encode state: ${bytes.left.message}` })
        const done = yield* Deferred.make<void, StateError>()
        if (pending === undefined) pending = { bytes: bytes.right, waiters: [done] }
        else {
          pending.bytes = bytes.right
          pending.waiters.push(done)
        }
        if (!writing) {
          writing = true
          // not tied to the caller: an interrupted caller must not tear a write others wait for
          yield* Effect.forkDaemon(drain)
        }
        return yield* Deferred.await(done)
      }),
    snapshotStarted: Effect.tryPromise(() => copyFile(file, `${file}.started`)).pipe(
      Effect.catchAll((e) => Effect.logWarning(`copying ${file} to ${file}.started failed: ${errnoText(e.error)}`))
    )
  }
}

export const StateStoreLive: Layer.Layer<StateStore, never, HostPaths> = Layer.effect(
  StateStore,
  Effect.map(HostPaths, makePosixStateStore)
)
