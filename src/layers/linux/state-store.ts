/**
 * StateStore on a POSIX host: `<dbdir>/state` in the reference's DER format.
 *
 * A full write replaces `state` atomically: the encoded state goes to a temporary file that is
 * fsync'd; the current `state` is hard-linked as `state.bak` (so `state` never disappears,
 * unlike the reference's rename-then-write); the temporary file is renamed over `state`; the
 * directory is fsync'd. A crash at any point leaves a complete `state`.
 *
 * The state holds every unikernel's image (reference format), so with real images it is large
 * (200 unikernels of 2 MiB: 400 MiB), and writing it durably on every create and destroy made
 * each of them take about a second. So a state estimated above `journalAbove` bytes (4 MiB by
 * default) is acknowledged through the journal `state.journal` instead, a log of checksummed
 * records (src/wire/state-journal.ts) appended and fdatasync'd before the reply. Each record
 * holds every unikernel's name, the configurations that changed since the previous record
 * (usually the one just created, so one image) and every policy; the first record of a journal
 * file, written atomically, holds what changed since `state` was written. After a second
 * without changes, or once the journal has grown as large as `state` (at least 32 MiB), a
 * compaction writes the full `state` in the background; once that is durable the journal is
 * replaced by one written against it, which is only the header when nothing changed since
 * (kept, so that the next change is again one append: a new journal file costs the atomic
 * write's two fsyncs). Growing the journal up to the size of `state` before compacting under a
 * steady stream of changes bounds the bytes written to about twice the bytes acknowledged, and
 * keeps the compaction's writes (hundreds of MiB with real images) from competing with every
 * acknowledgement's fdatasync.
 *
 * Smaller states are written in full on every change, so that `state` is always current, as
 * the reference's is (it writes without fsync). Journalling those too was tried (one fdatasync
 * instead of two fsyncs): a destroy's write then ended before its stop, but no latency gain
 * showed at the client on the development machine, so `state` staying current won
 * (BENCHMARKS.md, albatrossd, fourth session).
 *
 * Why a journal is safe whatever `state` it ends up next to: together its records list
 * everything that changed since the `state` it was started against, and say "as in `state`"
 * only for entries that had not changed by the time they were written. The `state` on disk is
 * that one or a later compaction, and a later compaction holds the same entry unless it
 * changed afterwards (by a change not yet acknowledged, or the journal would be newer). A
 * compaction never removes the journal; a full write on the acknowledgement path (small
 * states) removes it before its directory fsync, so an acknowledged full state is never read
 * with an older journal. A record cut short by a crash at the end of the log was never
 * acknowledged and is ignored.
 *
 * Restore applies a journal and writes the full state at once, so that the rest of the daemon
 * and `state.started` see a complete `state`, then (for a large state) starts an empty journal.
 * At shutdown the store's finalizer writes the full state if the journal holds records, and
 * removes the journal: the OCaml albatrossd (or an older albatross-ts) then finds a complete
 * `state`.
 *
 * Group commit: while a write is in flight, later dumps wait; when it is done only the newest
 * waiting state is written, and every waiter completes once that write is durable. Each state
 * the daemon dumps is a snapshot of everything so far, so the newest one contains what every
 * earlier waiter asked to persist; under load this turns N writes and fsyncs into about two.
 */
import { existsSync, linkSync, renameSync } from "node:fs"
import { copyFile, readFile, unlink } from "node:fs/promises"
import { join } from "node:path"
import { Cause, Deferred, Effect, Either, Layer, Runtime } from "effect"
import { policyEquals } from "../../domain/policy-rules.js"
import type { NamedConfig, PersistedState, StatePolicy } from "../../domain/wire.js"
import type { UnikernelConfig } from "../../domain/unikernel.js"
import { decodeStateSync, encodeStatePieces, encodeStateSync, type StateJournal, WireError } from "../../wire/index.js"
import { applyJournal, journalHeader, journalRecord, journalStartingWith, parseJournal, STATE_JOURNAL_SUFFIX } from "../../wire/state-journal.js"
import { HostPaths, type HostPathsConfig, statePath } from "../../services/host-paths.js"
import { EMPTY_STATE, StateError, StateStore, type StateStoreService } from "../../services/state-store.js"
import { appendDurably, type Pieces, syncDirectory, unlinkIfPresent, writeFileAtomic } from "./atomic-file.js"
import { errnoText } from "./errno-text.js"

/** Where the previous `state.bak` goes before it is removed (see `retiredBackup`). */
export const RETIRED_BACKUP = ".state.bak.old"

const isNoEntry = (e: unknown): boolean => typeof e === "object" && e !== null && "code" in e && e.code === "ENOENT"

/** Runs `f`; false when it failed because a file was missing. */
const ignoringNoEntry = (f: () => void): boolean => {
  try {
    f()
    return true
  } catch (e) {
    if (!isNoEntry(e)) throw e
    return false
  }
}

export interface PosixStateStoreOptions {
  /**
   * States estimated larger than this (bytes) are acknowledged through the journal, the others by
   * a full write of `state`. Default 4 MiB; -1: every state.
   */
  readonly journalAbove?: number
  /** The least journal size (bytes) that starts a compaction before a quiet moment; default 32 MiB. */
  readonly compactJournalAbove?: number
  /** How long without changes before a compaction (ms); default 1 s. */
  readonly compactAfterIdleMs?: number
}

export const JOURNAL_ABOVE_DEFAULT = 4 * 1024 * 1024
/** States estimated above this are encoded piece by piece as they are written, never whole in memory. */
const PIECES_ABOVE = 4 * 1024 * 1024
const COMPACTION_PIECE = 4 * 1024 * 1024
const COMPACT_AFTER_IDLE_MS = 1000
const COMPACT_JOURNAL_ABOVE = 32 * 1024 * 1024

export interface PosixStateStore extends StateStoreService {
  /** Waits for the writes in flight; if the journal holds records, writes the full state; removes the journal. */
  readonly flush: Effect.Effect<void, StateError>
}

/** About the encoded size: the images, plus a generous allowance for the rest of each entry. */
const estimatedSize = (state: PersistedState): number => {
  let n = 0
  for (const u of state.unikernels) n += u.config.image.length + 1024
  return n + state.policies.length * 256
}

/** A state as written to `state`, with its configuration objects by name (changes are found by identity). */
interface Written {
  readonly state: PersistedState
  readonly configs: ReadonlyMap<string, UnikernelConfig>
  /** `estimatedSize(state)`, which paces the compaction at every append. */
  readonly size: number
}

const written = (state: PersistedState, size: number = estimatedSize(state)): Written => ({
  state,
  configs: new Map(state.unikernels.map((u) => [u.name.toString(), u.config])),
  size
})

/** The journal of `state` against `base`; `undefined` when `base` is `state` in every entry. */
const journalOf = (state: PersistedState, base: Written): StateJournal | undefined => {
  const changed: Array<NamedConfig> = []
  for (const u of state.unikernels) if (base.configs.get(u.name.toString()) !== u.config) changed.push(u)
  const same =
    changed.length === 0 &&
    state.unikernels.length === base.state.unikernels.length &&
    state.policies.length === base.state.policies.length &&
    state.policies.every((p, i) => p === base.state.policies[i] || samePolicyEntry(p, base.state.policies[i]))
  if (same) return undefined
  return { version: 1, names: state.unikernels.map((u) => u.name), changed, policies: state.policies }
}

const samePolicyEntry = (a: StatePolicy, b: StatePolicy | undefined): boolean =>
  b !== undefined && a.name.toString() === b.name.toString() && policyEquals(a.policy, b.policy)

export const makePosixStateStore = (paths: HostPathsConfig, options: PosixStateStoreOptions = {}): PosixStateStore => {
  const file = statePath(paths)
  const journalFile = `${file}${STATE_JOURNAL_SUFFIX}`
  // The previous `state.bak` is renamed to this and unlinked after the write, in the thread pool:
  // unlinking frees its inode and blocks, on ext4 the slowest metadata step of a write (0.3 ms of
  // the event loop per write, on the path of every create and destroy). One fixed name, so at
  // most one such file is ever left (by a crash), and the next write replaces it.
  const retiredBackup = join(paths.dbdir, RETIRED_BACKUP)
  let retiring: Promise<void> = Promise.resolve()
  const journalAbove = options.journalAbove ?? JOURNAL_ABOVE_DEFAULT
  const compactJournalAbove = options.compactJournalAbove ?? COMPACT_JOURNAL_ABOVE
  const compactAfterIdleMs = options.compactAfterIdleMs ?? COMPACT_AFTER_IDLE_MS

  /** Small states in one buffer; large ones piece by piece, their images never copied (statePieces). */
  // (called inside the write's async function: a WireError becomes its rejection, see asStateError)
  const encode = ({ state, size }: Written): Uint8Array | Pieces => {
    if (size > PIECES_ABOVE) return encodeStatePieces(state)
    const bytes = encodeStateSync(state)
    if (Either.isLeft(bytes)) throw bytes.left
    return bytes.right
  }
  const asStateError = (e: unknown): StateError =>
    e instanceof StateError
      ? e
      : e instanceof WireError
        ? new StateError({ message: `couldn't encode state: ${e.message}` })
        : new StateError({ message: `while writing state: ${errnoText(e)}` })

  // the `state` file as last written durably, and the newest state acknowledged
  let base: Written = written(EMPTY_STATE)
  let acknowledged: PersistedState = EMPTY_STATE
  let journalOnDisk = existsSync(journalFile)
  // whether records may be appended: the journal was started by this store (against `base`) and no append failed
  let journalAppendable = false

  /**
   * Replaces `state` (full write); with `dropJournal`, the journal goes in the same directory
   * fsync. A compaction (`background`) writes in synced pieces (see `syncEvery`), so that the
   * journal writes acknowledging creates and destroys meanwhile do not wait for its data.
   */
  const writeFull = async (full: Written, dropJournal: boolean, background = false): Promise<void> => {
    let retired = false
    await writeFileAtomic(file, encode(full), {
      syncEvery: background ? COMPACTION_PIECE : undefined,
      // the reference writes it 0644 (readable by the dump tools of the client)
      mode: 0o644,
      durable: true,
      // synchronous, as the rest of the write's metadata steps (see atomic-file.ts)
      beforeRename: async () => {
        retired = ignoringNoEntry(() => renameSync(`${file}.bak`, retiredBackup))
        ignoringNoEntry(() => linkSync(file, `${file}.bak`))
      },
      afterRename: dropJournal ? removeJournalFile : undefined
    })
    // awaited only by flush: a later write's rename replaces whatever is left
    if (retired) retiring = unlink(retiredBackup).catch(() => undefined)
  }
  const removeJournalFile = (): void => {
    journalBytes = 0
    journalAppendable = false
    if (!journalOnDisk) return
    unlinkIfPresent(journalFile)
    journalOnDisk = false
  }

  // One full write of `state` at a time: a compaction and a full write that acknowledges (a small
  // state) must not interleave their renames, or an older state could land last.
  let stateWriter: Promise<void> = Promise.resolve()
  const exclusively = <A>(f: () => Promise<A>): Promise<A> => {
    const run = stateWriter.then(f)
    stateWriter = run.then(
      () => undefined,
      () => undefined
    )
    return run
  }

  /** Makes `state` durable for a waiter: full write (small) or journal (large). */
  const persist = async (state: PersistedState): Promise<void> => {
    const size = estimatedSize(state)
    if (size <= journalAbove) {
      const full = written(state, size)
      await exclusively(async () => {
        await writeFull(full, true)
        base = full
      })
      acknowledged = state
      return
    }
    if (journalAppendable) {
      const record = journalOf(state, written(acknowledged))
      if (record !== undefined) {
        const bytes = journalRecord(record)
        try {
          await appendDurably(journalFile, bytes, 0o644)
        } catch (e) {
          // part of the record may be in the file: the next write starts a fresh journal
          journalAppendable = false
          throw e
        }
        journalBytes += bytes.length
      }
    } else await writeJournalFor(state)
    acknowledged = state
    compactSoon()
  }

  /**
   * Writes the journal of `state` against `base`: `true` if it holds a record. When `state` is
   * `base` the journal is only its header: it stays, so that the next change is one append
   * (a new file needs the atomic write's two fsyncs, what the journal is there to avoid).
   */
  const writeJournalFor = async (state: PersistedState): Promise<boolean> => {
    const journal = journalOf(state, base)
    const bytes = journal === undefined ? journalHeader() : journalStartingWith(journal)
    await writeFileAtomic(journalFile, bytes, { mode: 0o644, durable: true })
    journalOnDisk = true
    journalAppendable = true
    journalBytes = journal === undefined ? 0 : bytes.length
    return journal !== undefined
  }

  // The compaction: a full write of the newest acknowledged state, in the background. It waits
  // for a second without changes (a burst of creates would otherwise rewrite every image once
  // per create), unless the journal has grown as large as `state` (and compactJournalAbove):
  // each journal rewrite carries every configuration changed since `state`, and a restore reads both.
  let compaction: Promise<void> | undefined
  let compactionTimer: ReturnType<typeof setTimeout> | undefined
  let journalBytes = 0
  const cancelCompactionTimer = (): void => {
    if (compactionTimer !== undefined) clearTimeout(compactionTimer)
    compactionTimer = undefined
  }
  const compactSoon = (): void => {
    if (compaction !== undefined) return // it looks again when it is done
    cancelCompactionTimer()
    if (journalBytes >= Math.max(compactJournalAbove, base.size)) return startCompaction()
    compactionTimer = setTimeout(() => {
      compactionTimer = undefined
      startCompaction()
    }, compactAfterIdleMs)
    // never what keeps a process alive: the finalizer's flush writes what is pending
    compactionTimer.unref()
  }
  const startCompaction = (): void => {
    compaction = (async () => {
      try {
        const target = acknowledged
        await exclusively(async () => {
          // a full write that acknowledged meanwhile may have made this one unneeded
          if (base.state === target) return
          const full = written(target)
          await writeFull(full, false, true)
          base = full
        })
        // the journal is now written against the new `state` (or removed), by the writer below
        refreshJournal()
      } catch (e) {
        // the journal still holds every acknowledged change; the next dump tries again
        runInBackground(Effect.logError(`state compaction failed: ${errnoText(e)}`))
      } finally {
        compaction = undefined
      }
    })()
  }

  // one writer at a time for the journal (two interleaved rotations would race); see group commit above
  let writing = false
  /** Resolved when the writer running now has nothing left to do (flush waits for it). */
  let writerIdle: Promise<void> = Promise.resolve()
  let writerDone: () => void = () => undefined
  let refreshWanted = false
  let pending: { state: PersistedState; readonly waiters: Array<Deferred.Deferred<void, StateError>> } | undefined
  const drain: Effect.Effect<void> = Effect.gen(function* () {
    for (;;) {
      const batch = pending
      if (batch === undefined && !refreshWanted) {
        writing = false
        writerDone()
        return
      }
      pending = undefined
      refreshWanted = false
      const state = batch?.state ?? acknowledged
      const result = yield* Effect.exit(
        Effect.tryPromise({
          // the refresh after a compaction; changes made during it want the next compaction
          try: () => (batch === undefined ? writeJournalFor(state).then((remains) => (remains ? compactSoon() : undefined)) : persist(state)),
          catch: asStateError
        })
      )
      if (batch === undefined && result._tag === "Failure") yield* Effect.logError(`rewriting the state journal failed: ${Cause.pretty(result.cause)}`)
      if (batch !== undefined) for (const waiter of batch.waiters) yield* Deferred.done(waiter, result)
    }
  })
  // the background work (writer, compaction's log lines) runs in the runtime of the first caller
  // (its logger), not tied to any caller: an interrupted caller must not tear a write others wait for
  let runtime: Runtime.Runtime<never> | undefined
  const runInBackground = (effect: Effect.Effect<void>): void => {
    if (runtime === undefined) Effect.runFork(effect)
    else Runtime.runFork(runtime)(effect)
  }
  const startWriter = (): void => {
    if (writing) return
    writing = true
    writerIdle = new Promise((resolve) => {
      writerDone = resolve
    })
    // at once, within the caller's turn, up to the write's first wait: an idle store does not
    // delay a dump (dumps arriving meanwhile join the next write, see group commit above)
    runInBackground(
      drain.pipe(
        // should the writer ever be interrupted, a later dump starts a new one and flush does not wait forever
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            writing = false
            writerDone()
          })
        )
      )
    )
  }
  const refreshJournal = (): void => {
    refreshWanted = true
    startWriter()
  }

  const readState = Effect.gen(function* () {
    const bytes = yield* Effect.tryPromise(() => readFile(file)).pipe(Effect.either)
    if (Either.isLeft(bytes)) {
      if (isNoEntry(bytes.left.error)) {
        if (!journalOnDisk) yield* Effect.logWarning(`no state file ${file} found, starting with an empty state`)
        return EMPTY_STATE
      }
      return yield* new StateError({ message: `while reading state: ${errnoText(bytes.left.error)}` })
    }
    const state = decodeStateSync(new Uint8Array(bytes.right.buffer, bytes.right.byteOffset, bytes.right.byteLength))
    if (Either.isLeft(state)) return yield* new StateError({ message: `couldn't parse state: ${state.left.message}` })
    return state.right
  })

  const readJournal = Effect.gen(function* () {
    const bytes = yield* Effect.tryPromise({
      try: () => readFile(journalFile),
      catch: (e) => new StateError({ message: `while reading state journal: ${errnoText(e)}` })
    })
    const parsed = parseJournal(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    if (Either.isLeft(parsed)) return yield* new StateError({ message: `couldn't parse state journal ${journalFile}: ${parsed.left}` })
    if (parsed.right.torn) yield* Effect.logWarning(`state journal ${journalFile}: its last record is incomplete (never acknowledged), ignored`)
    return parsed.right.records
  })

  /** At start, in journal mode: an empty journal, so that the first change is an append. */
  const startJournal = ({ state, size }: Written): Effect.Effect<void, StateError> =>
    size <= journalAbove ? Effect.void : Effect.asVoid(Effect.tryPromise({ try: () => writeJournalFor(state), catch: asStateError }))

  const flushWrites: Effect.Effect<void, StateError> = Effect.gen(function* () {
    // no compaction later: this one writes the full state now if it is needed
    cancelCompactionTimer()
    // let the writer and the compaction finish what they started (each may start the other)
    while (writing || compaction !== undefined) yield* Effect.promise(() => Promise.all([writerIdle, compaction]))
    // (the writer's last refresh may have scheduled one meanwhile)
    cancelCompactionTimer()
    if (!journalOnDisk) return
    if (journalAppendable && journalBytes === 0 && existsSync(file)) {
      // only the header: `state` is complete already
      yield* Effect.tryPromise({
        try: async () => {
          removeJournalFile()
          await syncDirectory(paths.dbdir)
        },
        catch: asStateError
      })
      return
    }
    const full = written(acknowledged)
    yield* Effect.tryPromise({
      try: () =>
        exclusively(async () => {
          await writeFull(full, true)
          base = full
        }),
      catch: asStateError
    })
  })

  // the retired backup is gone too once flush is done (nothing is left behind at shutdown)
  const flush = Effect.ensuring(flushWrites, Effect.promise(() => retiring))

  return {
    restore: Effect.gen(function* () {
      journalOnDisk = existsSync(journalFile)
      const onDisk = yield* readState
      if (!journalOnDisk) {
        base = written(onDisk)
        acknowledged = onDisk
        yield* startJournal(base)
        return onDisk
      }
      const records = yield* readJournal
      const applied = applyJournal(onDisk, records)
      for (const name of applied.missing) yield* Effect.logWarning(`state journal: ${name} is not in ${file}, left out`)
      yield* Effect.logInfo(`state journal ${journalFile} applied (${records.length} records)`)
      // from here on everyone reads a complete `state`
      const full = written(applied.state)
      yield* Effect.tryPromise({ try: () => writeFull(full, true), catch: asStateError })
      base = full
      acknowledged = applied.state
      yield* startJournal(full)
      return applied.state
    }),
    dump: (state) =>
      Effect.gen(function* () {
        runtime ??= yield* Effect.runtime<never>()
        const done = yield* Deferred.make<void, StateError>()
        if (pending === undefined) pending = { state, waiters: [done] }
        else {
          pending.state = state
          pending.waiters.push(done)
        }
        startWriter()
        return yield* Deferred.await(done)
      }),
    snapshotStarted: Effect.tryPromise(() => copyFile(file, `${file}.started`)).pipe(
      Effect.catchAll((e) => Effect.logWarning(`copying ${file} to ${file}.started failed: ${errnoText(e.error)}`))
    ),
    flush
  }
}

export const StateStoreLive: Layer.Layer<StateStore, never, HostPaths> = Layer.scoped(
  StateStore,
  Effect.gen(function* () {
    const store = makePosixStateStore(yield* HostPaths)
    // the full `state` at shutdown, so that the OCaml albatrossd (or an older albatross-ts) finds it complete
    yield* Effect.addFinalizer(() =>
      store.flush.pipe(Effect.catchAll((e) => Effect.logError(`writing the full state at shutdown: ${e.message}`)))
    )
    return store
  })
)
