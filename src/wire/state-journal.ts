/**
 * The state journal `<dbdir>/state.journal` of albatross-ts (not a reference file). Why and when
 * albatrossd writes it: src/layers/linux/state-store.ts. Read here by the daemon's restore and by
 * `albatross-client inspect-dump` / `extract-dump`.
 *
 * Layout: the 8-byte file header `ATSJ` + format version (4 bytes, big-endian, 1), written with
 * the first record, then records:
 *
 *   length (4, big-endian) | CRC-32 of those 4 bytes (4) | DER `StateJournal` (length bytes) | CRC-32 of the DER (4)
 *
 * The checksums tell a last record cut short by a crash (never acknowledged: ignored) from damage
 * anywhere else (an error, never silently skipped): a length whose own checksum holds is the one
 * written, so a record that runs past the end of the file was being appended; a record whose DER
 * checksum fails is torn only if it is the last thing in the file.
 */
import { crc32 } from "node:zlib"
import { Either } from "effect"
import type { NamedConfig, PersistedState } from "../domain/wire.js"
import { decodeStateJournalSync, encodeStateJournalPieces, type StateJournal, WireError } from "./index.js"
import { coalesced, type Pieces, piecesOf } from "./pieces.js"

export const STATE_JOURNAL_SUFFIX = ".journal"

const MAGIC = [0x41, 0x54, 0x53, 0x4a] // "ATSJ"
const FORMAT = 1
const HEADER_LENGTH = 8

/** The file header, which starts every journal file. */
export const journalHeader = (): Uint8Array => {
  const header = new Uint8Array(HEADER_LENGTH)
  header.set(MAGIC)
  new DataView(header.buffer).setUint32(4, FORMAT, false)
  return header
}

/**
 * One journal record as appended: length and its checksum, the DER, the DER's checksum. An image
 * in the DER (a create's) is its own piece, the daemon's array, never copied; the small bytes
 * around it are joined into few pieces, as each piece costs the daemon a write through libuv's
 * thread pool, and a create or destroy waits for them. A record without an image over 64 KiB is
 * one piece up to 64 KiB.
 */
export const journalRecord = (journal: StateJournal): Pieces => {
  const der = encodeStateJournalPieces(journal)
  if (Either.isLeft(der)) throw new WireError({ message: `journal record: ${der.left.message}` })
  let length = 0
  let checksum = 0
  for (const part of der.right) {
    length += part.length
    checksum = crc32(part, checksum)
  }
  const head = new Uint8Array(8)
  const view = new DataView(head.buffer)
  view.setUint32(0, length, false)
  view.setUint32(4, crc32(head.subarray(0, 4)), false)
  const tail = new Uint8Array(4)
  new DataView(tail.buffer).setUint32(0, checksum, false)
  return joinedSmall([head, ...der.right, tail])
}

/** Small parts of a record joined up to this many bytes (a record that small is one piece). */
const JOIN_UP_TO = 64 * 1024

const joinedSmall = (parts: ReadonlyArray<Uint8Array>): Pieces => {
  const joined = [...coalesced(parts, JOIN_UP_TO)]
  return piecesOf(...joined)
}

/** A new journal file holding `journal` as its first record. */
export const journalStartingWith = (journal: StateJournal): Pieces => joinedSmall([journalHeader(), ...journalRecord(journal).pieces()])

const allZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0)

/**
 * The records of a journal file. A last record cut short (a crash during its append: never
 * acknowledged) is dropped and reported in `torn`; any other damage is an error.
 */
export const parseJournal = (
  bytes: Uint8Array
): Either.Either<{ readonly records: ReadonlyArray<StateJournal>; readonly torn: boolean }, string> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // the header is written with the first record, in one atomic file write
  if (bytes.length < HEADER_LENGTH || MAGIC.some((b, i) => bytes[i] !== b)) return Either.left("not an albatross-ts state journal (no ATSJ header)")
  const format = view.getUint32(4, false)
  if (format !== FORMAT) return Either.left(`unknown state journal format ${format}`)
  const records: Array<StateJournal> = []
  const torn = Either.right({ records, torn: true })
  for (let off = HEADER_LENGTH; off < bytes.length; ) {
    const n = records.length + 1
    // a length cut short can only be the end of an append
    if (off + 8 > bytes.length) return torn
    const length = view.getUint32(off, false)
    if (view.getUint32(off + 4, false) !== crc32(bytes.subarray(off, off + 4))) {
      // zeros to the end: the file grew but the record's bytes never reached the disk
      return allZero(bytes.subarray(off)) ? torn : Either.left(`record ${n} at byte ${off}: damaged (length checksum)`)
    }
    const end = off + 8 + length + 4
    if (end > bytes.length) return torn
    const der = bytes.subarray(off + 8, off + 8 + length)
    if (view.getUint32(off + 8 + length, false) !== crc32(der)) {
      return end === bytes.length ? torn : Either.left(`record ${n} at byte ${off}: damaged (checksum)`)
    }
    const record = decodeStateJournalSync(der)
    if (Either.isLeft(record)) return Either.left(`record ${n}: ${record.left.message}`)
    if (record.right.version !== 1) return Either.left(`record ${n}: unknown version ${record.right.version}`)
    records.push(record.right)
    off = end
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
