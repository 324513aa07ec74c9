/**
 * The state journal `<dbdir>/state.journal` of albatross-ts (not a reference file): a log of
 * records, each a 4-byte big-endian length and a DER `StateJournal` (grammar/state.ts). Why and
 * when albatrossd writes it: src/layers/linux/state-store.ts. Read here by the daemon's restore
 * and by `albatross-client inspect-dump` / `extract-dump`.
 */
import { Either } from "effect"
import type { NamedConfig, PersistedState } from "../domain/wire.js"
import { encodeFrame } from "./framing.js"
import { decodeStateJournalSync, encodeStateJournalSync, type StateJournal, WireError } from "./index.js"

export const STATE_JOURNAL_SUFFIX = ".journal"

/** One journal record as written: length prefix, then the DER. */
export const journalRecord = (journal: StateJournal): Uint8Array => {
  const der = encodeStateJournalSync(journal)
  if (Either.isLeft(der)) throw new WireError({ message: `journal record: ${der.left.message}` })
  return encodeFrame(der.right)
}

/**
 * The records of a journal file. A last record cut short (a crash during its append: never
 * acknowledged) is dropped and reported in `torn`; any other damage is an error.
 */
export const parseJournal = (
  bytes: Uint8Array
): Either.Either<{ readonly records: ReadonlyArray<StateJournal>; readonly torn: boolean }, string> => {
  const records: Array<StateJournal> = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let off = 0; off < bytes.length; ) {
    if (off + 4 > bytes.length) return Either.right({ records, torn: true })
    const length = view.getInt32(off, false)
    // zeros to the end: the file grew but the record's bytes never reached the disk
    if (length <= 0 && bytes.subarray(off).every((b) => b === 0)) return Either.right({ records, torn: true })
    if (length <= 0) return Either.left(`record ${records.length + 1}: bad length ${length}`)
    if (off + 4 + length > bytes.length) return Either.right({ records, torn: true })
    const record = decodeStateJournalSync(bytes.subarray(off + 4, off + 4 + length))
    if (Either.isLeft(record)) {
      const last = off + 4 + length === bytes.length
      if (last) return Either.right({ records, torn: true })
      return Either.left(`record ${records.length + 1}: ${record.left.message}`)
    }
    if (record.right.version !== 1) return Either.left(`record ${records.length + 1}: unknown version ${record.right.version}`)
    records.push(record.right)
    off += 4 + length
  }
  return Either.right({ records, torn: false })
}

/**
 * The state a journal describes, over the `state` file's entries. A name the journal keeps "as
 * in `state`" but `state` lacks was being destroyed when a later compaction ran: it is left out.
 */
export const applyJournal = (
  base: PersistedState,
  records: ReadonlyArray<StateJournal>
): { readonly state: PersistedState; readonly missing: ReadonlyArray<string> } => {
  const configs = new Map(base.unikernels.map((u) => [u.name.toString(), u]))
  for (const record of records) for (const u of record.changed) configs.set(u.name.toString(), u)
  const journal = records[records.length - 1]
  if (journal === undefined) return { state: base, missing: [] }
  const missing: Array<string> = []
  const unikernels: Array<NamedConfig> = []
  for (const name of journal.names) {
    const entry = configs.get(name.toString())
    if (entry === undefined) missing.push(name.toString())
    else unikernels.push(entry)
  }
  return { state: { unikernels, policies: journal.policies }, missing }
}
