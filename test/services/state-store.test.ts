import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { Effect, Either, Logger, Option } from "effect"
import { describe, expect, it } from "vitest"
import { makePosixStateStore, RETIRED_BACKUP } from "../../src/layers/linux/state-store.js"
import { applyJournal, journalStartingWith, journalHeader, journalRecord, parseJournal } from "../../src/wire/state-journal.js"
import { concatPieces } from "../../src/wire/pieces.js"
import { TestStateStore } from "../../src/layers/test/state-store.js"
import { EMPTY_STATE } from "../../src/services/state-store.js"
import type { PersistedState } from "../../src/domain/wire.js"
import { decodeStateSync, encodeStateSync } from "../../src/wire/index.js"
import { run, runFailure, tempDir } from "./support.js"
import { vectorFile } from "../support/vectors-dir.js"

interface Vector {
  readonly name: string
  readonly kind: string
  readonly direction: string
  readonly hex: string
}

const vectors: ReadonlyArray<Vector> = JSON.parse(
  readFileSync(vectorFile("vectors.json"), "utf8")
) as ReadonlyArray<Vector>
const stateVectors = vectors.filter((v) => v.kind === "state" && v.direction !== "negative")
const roundtrip = stateVectors.filter((v) => v.direction === "roundtrip")
const negative = vectors.filter((v) => v.kind === "state" && v.direction === "negative")

const hex = (h: string) => new Uint8Array(Buffer.from(h, "hex"))

/**
 * Makes the rotation of state.bak fail (also as root): a directory where state.bak is, and a
 * non-empty one where the retired backup goes, so that neither can be moved.
 */
const breakRotation = (dbdir: string): void => {
  mkdirSync(`${dbdir}/state.bak/x`, { recursive: true })
  mkdirSync(`${dbdir}/${RETIRED_BACKUP}/x`, { recursive: true })
}
const repairRotation = (dbdir: string): void => {
  rmSync(`${dbdir}/state.bak`, { recursive: true })
  rmSync(`${dbdir}/${RETIRED_BACKUP}`, { recursive: true })
}

/** The daemon's store: the vectors' states are small, so every dump is a full write of `state`. */
const fresh = () => {
  const dbdir = tempDir()
  return { dbdir, store: makePosixStateStore({ tmpdir: dbdir, dbdir }) }
}

describe("state restore (spec §4.2 step 5)", () => {
  it("has state vectors to test with", () => {
    expect(stateVectors.length).toBeGreaterThan(10)
    expect(negative.length).toBeGreaterThan(0)
  })

  it("restores every state variant of the vectors", async () => {
    const { dbdir, store } = fresh()
    for (const v of stateVectors) {
      writeFileSync(`${dbdir}/state`, hex(v.hex))
      const state = await run(store.restore)
      expect(state, v.name).toEqual(Either.getOrThrow(decodeStateSync(hex(v.hex))))
    }
  })

  it("a missing file is an empty state and a warning", async () => {
    const { store } = fresh()
    const logs: Array<string> = []
    const logger = Logger.make(({ message }) => logs.push(String(Array.isArray(message) ? message.join(" ") : message)))
    expect(await run(Effect.provide(store.restore, Logger.replace(Logger.defaultLogger, logger)))).toEqual(EMPTY_STATE)
    expect(logs[0]).toMatch(/^no state file .*state found, starting with an empty state$/)
  })

  it("reports undecodable and unreadable files with the reference's prefixes", async () => {
    const { dbdir, store } = fresh()
    writeFileSync(`${dbdir}/state`, hex(negative[0]!.hex))
    expect((await runFailure(store.restore)).message).toMatch(/^couldn't parse state: ./)
    writeFileSync(`${dbdir}/state`, "garbage")
    expect((await runFailure(store.restore)).message).toMatch(/^couldn't parse state: ./)
    const other = fresh()
    mkdirSync(`${other.dbdir}/state`)
    expect((await runFailure(other.store.restore)).message).toBe("while reading state: Is a directory")
  })
})

describe("state dump (spec §4.8)", () => {
  it("writes the reference's bytes, keeps the previous file as state.bak, leaves no temp file", async () => {
    const { dbdir, store } = fresh()
    const [a, b] = [roundtrip[1]!, roundtrip[2]!]
    await run(store.dump(Either.getOrThrow(decodeStateSync(hex(a.hex)))))
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(a.hex)
    expect(existsSync(`${dbdir}/state.bak`)).toBe(false)
    await run(store.dump(Either.getOrThrow(decodeStateSync(hex(b.hex)))))
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(b.hex)
    expect(readFileSync(`${dbdir}/state.bak`).toString("hex")).toBe(a.hex)
    expect(statSync(`${dbdir}/state`).mode & 0o777).toBe(0o644)
    expect(readdirSync(dbdir).sort()).toEqual(["state", "state.bak"])
    // the third write retires the first backup; it is removed in the background, gone after a flush
    const c = roundtrip[3]!
    await run(store.dump(Either.getOrThrow(decodeStateSync(hex(c.hex)))))
    expect(readFileSync(`${dbdir}/state.bak`).toString("hex")).toBe(b.hex)
    await run(store.flush)
    expect(readdirSync(dbdir).sort()).toEqual(["state", "state.bak"])
  })

  it("every roundtrip vector dumps byte-exact", async () => {
    const { dbdir, store } = fresh()
    for (const v of roundtrip) {
      await run(store.dump(Either.getOrThrow(decodeStateSync(hex(v.hex)))))
      expect(readFileSync(`${dbdir}/state`).toString("hex"), v.name).toBe(v.hex)
    }
  })

  it("through the journal (every state journalled), every roundtrip vector ends up byte-exact in state", async () => {
    for (const v of roundtrip) {
      const dbdir = tempDir()
      const store = makePosixStateStore({ tmpdir: dbdir, dbdir }, { journalAbove: -1 })
      await run(store.restore)
      await run(store.dump(Either.getOrThrow(decodeStateSync(hex(v.hex)))))
      expect(readdirSync(dbdir).sort(), v.name).toEqual(["state.journal"])
      await run(store.flush)
      expect(readdirSync(dbdir).sort(), v.name).toEqual(["state"])
      expect(readFileSync(`${dbdir}/state`).toString("hex"), v.name).toBe(v.hex)
    }
  })

  it("a failed write leaves the previous state intact and no temp file", async () => {
    const { dbdir, store } = fresh()
    await run(store.dump(EMPTY_STATE))
    const before = readFileSync(`${dbdir}/state`)
    breakRotation(dbdir)
    expect((await runFailure(store.dump(Either.getOrThrow(decodeStateSync(hex(roundtrip[1]!.hex)))))).message).toMatch(
      /^while writing state: /
    )
    expect(readFileSync(`${dbdir}/state`)).toEqual(before)
    expect(readdirSync(dbdir).sort()).toEqual([RETIRED_BACKUP, "state", "state.bak"])
  })

  it("copies state to state.started; a missing state is only logged", async () => {
    const { dbdir, store } = fresh()
    await run(store.snapshotStarted)
    expect(existsSync(`${dbdir}/state.started`)).toBe(false)
    await run(store.dump(EMPTY_STATE))
    await run(store.snapshotStarted)
    expect(readFileSync(`${dbdir}/state.started`)).toEqual(readFileSync(`${dbdir}/state`))
  })
})

describe("test state store", () => {
  it("persists through the DER codec", async () => {
    const t = new TestStateStore(hex(roundtrip[1]!.hex))
    const s = await run(t.service.restore)
    await run(t.service.dump({ ...s, unikernels: [] }))
    expect(t.dumps).toBe(1)
    expect(Buffer.from(t.backup!).toString("hex")).toBe(roundtrip[1]!.hex)
    expect(t.current().unikernels).toEqual([])
    await run(t.service.snapshotStarted)
    expect(t.started).toEqual(t.bytes)
  })
})

describe("concurrent dumps", () => {
  it("are group-committed: the dumps arriving during a write are answered by one write of the newest", async () => {
    const { dbdir, store } = fresh()
    const states = roundtrip.slice(0, 6).map((v) => Either.getOrThrow(decodeStateSync(hex(v.hex))))
    await run(Effect.all(states.map((s) => store.dump(s)), { concurrency: "unbounded" }))
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(roundtrip[5]!.hex)
    // the first is written at once; the five arriving meanwhile are one write of the newest
    expect(readdirSync(dbdir).sort()).toEqual(["state", "state.bak"])
    expect(readFileSync(`${dbdir}/state.bak`).toString("hex")).toBe(roundtrip[0]!.hex)
    // sequential dumps still rotate one by one
    await run(store.dump(states[2]!))
    expect(readFileSync(`${dbdir}/state.bak`).toString("hex")).toBe(roundtrip[5]!.hex)
  })

  it("a failed group write fails every waiter of that group", async () => {
    const { dbdir, store } = fresh()
    await run(store.dump(EMPTY_STATE))
    breakRotation(dbdir)
    const results = await run(
      Effect.all([store.dump(EMPTY_STATE), store.dump(EMPTY_STATE), store.dump(EMPTY_STATE)].map(Effect.either), {
        concurrency: "unbounded"
      })
    )
    expect(results.every(Either.isLeft)).toBe(true)
  })
})

describe("state journal (states above the journal threshold)", () => {
  const mixed = (): PersistedState => Either.getOrThrow(decodeStateSync(hex(roundtrip.find((v) => v.name === "state/mixed")!.hex)))
  const stateHex = (s: PersistedState) => Buffer.from(Either.getOrThrow(encodeStateSync(s))).toString("hex")
  const names = (s: PersistedState) => s.unikernels.map((u) => u.name.toString())
  /** The records in the journal file (it stays, only its header, once `state` is complete). */
  const journalRecords = (dbdir: string) => Either.getOrThrow(parseJournal(readFileSync(`${dbdir}/state.journal`))).records
  const journaled = () => {
    const dbdir = tempDir()
    // every non-empty state is "large": each dump is acknowledged through the journal
    return { dbdir, store: makePosixStateStore({ tmpdir: dbdir, dbdir }, { journalAbove: 0 }) }
  }

  it("a dump is acknowledged by the journal; restore applies it and writes the full state", async () => {
    const { dbdir, store } = journaled()
    const s0 = mixed()
    await run(store.dump(s0))
    // right after the reply: the journal is on disk, the compaction waits for a second of quiet
    expect(readdirSync(dbdir).sort()).toEqual(["state.journal"])
    const fresh = makePosixStateStore({ tmpdir: dbdir, dbdir }, { journalAbove: 0 })
    const restored = await run(fresh.restore)
    expect(stateHex(restored)).toBe(stateHex(s0))
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(stateHex(s0))
    // and an empty journal, for the next change to append to
    expect(journalRecords(dbdir)).toEqual([])
    const s1 = { ...s0, unikernels: s0.unikernels.slice(1) }
    await run(fresh.dump(s1))
    expect(journalRecords(dbdir).map((r) => r.names.map((n) => n.toString()))).toEqual([names(s1)])
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(stateHex(s0))
  })

  it("after a second without dumps the compaction writes the full state and empties the journal", async () => {
    const { dbdir, store } = journaled()
    const s0 = mixed()
    await run(store.dump(s0))
    await run(store.dump({ ...s0, unikernels: s0.unikernels.slice(1) }))
    expect(journalRecords(dbdir)).toHaveLength(2)
    for (let i = 0; i < 100 && journalRecords(dbdir).length > 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(readdirSync(dbdir).sort()).toEqual(["state", "state.journal"])
    expect(journalRecords(dbdir)).toEqual([])
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(stateHex({ ...s0, unikernels: s0.unikernels.slice(1) }))
  })

  it("under a steady stream of dumps the journal grows to the size of state before a compaction", async () => {
    const dbdir = tempDir()
    // no quiet moment counts: only the journal's size can start a compaction
    const store = makePosixStateStore({ tmpdir: dbdir, dbdir }, { journalAbove: 0, compactJournalAbove: 1024, compactAfterIdleMs: 3_600_000 })
    const s0 = mixed()
    const [a] = s0.unikernels
    const big = { name: a!.name, config: { ...a!.config, image: new Uint8Array(256 * 1024).fill(7) } }
    const start: PersistedState = { ...s0, unikernels: [big, ...s0.unikernels.slice(1)] }
    await run(store.dump(start))
    await run(store.flush)
    const stateSize = statSync(`${dbdir}/state`).size
    const startHex = stateHex(start)
    // small changes: a unikernel's memory, each dump a record of about a kilobyte
    let current = start
    const journalSize = () => (existsSync(`${dbdir}/state.journal`) ? statSync(`${dbdir}/state.journal`).size : 0)
    const stateUnchanged = () => readFileSync(`${dbdir}/state`).toString("hex") === startHex
    while (journalSize() < stateSize / 2 && stateUnchanged()) {
      const [x, y, ...rest] = current.unikernels
      current = { ...current, unikernels: [x!, { name: y!.name, config: { ...y!.config, memory: y!.config.memory + 1 } }, ...rest] }
      await run(store.dump(current))
    }
    // far past compactJournalAbove, but smaller than state: still only the journal
    expect(stateUnchanged()).toBe(true)
    expect(journalSize()).toBeGreaterThan(64 * 1024)
    for (let i = 0; i < 10_000 && stateUnchanged(); i++) {
      const [x, y, ...rest] = current.unikernels
      current = { ...current, unikernels: [x!, { name: y!.name, config: { ...y!.config, memory: y!.config.memory + 1 } }, ...rest] }
      await run(store.dump(current))
      if (i % 16 === 0) await new Promise((r) => setTimeout(r, 10))
    }
    // a compaction ran once the journal reached the size of state, with no quiet moment
    expect(readFileSync(`${dbdir}/state`).toString("hex")).not.toBe(startHex)
    await run(store.flush)
    expect(readdirSync(dbdir).sort()).toEqual(["state", "state.bak"])
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(stateHex(current))
  })

  it("while the compaction cannot write, every acknowledged dump is in state + journal", async () => {
    const { dbdir, store } = journaled()
    const s0 = mixed()
    await run(store.dump(s0))
    await run(store.flush)
    expect(readdirSync(dbdir).sort()).toEqual(["state"])
    // the compaction's rotation fails from here on
    breakRotation(dbdir)
    const [a, b, c, d] = s0.unikernels
    const s1: PersistedState = { ...s0, unikernels: [a!, { name: b!.name, config: { ...b!.config, memory: 77 } }, c!] }
    await run(store.dump(s1))
    const s2: PersistedState = { ...s1, unikernels: [a!, s1.unikernels[1]!, c!, d!].slice(1) }
    await run(store.dump(s2))
    // the journal lists the names and only what changed since `state`
    // two records: b changed and d gone (against `state`), then a gone and d back (against the first)
    const { records, torn } = Either.getOrThrow(parseJournal(readFileSync(`${dbdir}/state.journal`)))
    expect(torn).toBe(false)
    expect(records.map((r) => r.names.map((n) => n.toString()))).toEqual([names(s1), names(s2)])
    expect(records.map((r) => r.changed.map((u) => u.name.toString()))).toEqual([[b!.name.toString()], [d!.name.toString()]])
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(stateHex(s0))
    repairRotation(dbdir)
    const restored = await run(makePosixStateStore({ tmpdir: dbdir, dbdir }, { journalAbove: 0 }).restore)
    expect(stateHex(restored)).toBe(stateHex(s2))
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(stateHex(s2))
    expect(journalRecords(dbdir)).toEqual([])
  })

  it("a journal read next to a later compaction: its names, its changes, the rest from state", () => {
    const s0 = mixed()
    const [a, b, c] = s0.unikernels
    const changedB = { name: b!.name, config: { ...b!.config, memory: 77 } }
    // written against s0: b changed, d gone
    const journal = { version: 1, names: [a!.name, b!.name, c!.name], changed: [changedB], policies: s0.policies }
    // a compaction that ran after it (and a destroy of c not yet acknowledged)
    const later: PersistedState = { ...s0, unikernels: [a!, changedB] }
    const applied = applyJournal(later, [journal])
    expect(names(applied.state)).toEqual([a!.name.toString(), b!.name.toString()])
    expect(applied.state.unikernels[1]!.config.memory).toBe(77)
    expect(applied.missing).toEqual([c!.name.toString()])
    expect(applyJournal(s0, [journal]).state.unikernels.map((u) => u.config)).toEqual([a!.config, changedB.config, c!.config])
    // records apply in order: the later one's names and policies, the newest configuration of each
    const changedAgain = { name: b!.name, config: { ...b!.config, memory: 99 } }
    const second = { version: 1, names: [b!.name], changed: [changedAgain], policies: [] }
    const both = applyJournal(s0, [journal, second]).state
    expect(both.unikernels.map((u) => [u.name.toString(), u.config.memory])).toEqual([[b!.name.toString(), 99]])
    expect(both.policies).toEqual([])
  })

  it("a full write (journalAbove) removes a pending journal; flush writes the full state, or only removes an empty journal", async () => {
    const { dbdir } = journaled()
    const s0 = mixed()
    writeFileSync(`${dbdir}/state.journal`, concatPieces(journalStartingWith({ version: 1, names: [], changed: [], policies: [] })))
    const small = makePosixStateStore({ tmpdir: dbdir, dbdir }, { journalAbove: Number.POSITIVE_INFINITY })
    await run(small.dump(s0))
    expect(readdirSync(dbdir).sort()).toEqual(["state"])
    const big = journaled()
    await run(big.store.dump(s0))
    await run(big.store.flush)
    expect(readdirSync(big.dbdir).sort()).toEqual(["state"])
    expect(readFileSync(`${big.dbdir}/state`).toString("hex")).toBe(stateHex(s0))
    // restored with nothing pending: the empty journal goes, `state` is not rewritten
    const again = makePosixStateStore({ tmpdir: big.dbdir, dbdir: big.dbdir }, { journalAbove: 0 })
    await run(again.restore)
    expect(readdirSync(big.dbdir).sort()).toEqual(["state", "state.journal"])
    const mtime = statSync(`${big.dbdir}/state`).mtimeMs
    await run(again.flush)
    expect(readdirSync(big.dbdir).sort()).toEqual(["state"])
    expect(statSync(`${big.dbdir}/state`).mtimeMs).toBe(mtime)
  })

  it("a record cut short at the end was never acknowledged: ignored; damage anywhere else is an error", () => {
    const s0 = mixed()
    const header = Buffer.from(journalHeader())
    const record = Buffer.from(concatPieces(journalRecord({ version: 1, names: s0.unikernels.map((u) => u.name), changed: [], policies: [] })))
    const two = Buffer.concat([header, record, record])
    const parse = (b: Uint8Array) => Either.getOrThrow(parseJournal(b))
    expect(parse(two)).toMatchObject({ torn: false, records: [{ version: 1 }, { version: 1 }] })
    const first = header.length + record.length
    for (const cut of [1, 3, 4, 7, 8, 10, record.length - 4, record.length - 1]) {
      const r = parse(two.subarray(0, first + cut))
      expect([r.records.length, r.torn], `cut at ${cut}`).toEqual([1, true])
    }
    // the file grew but the last record's bytes never reached the disk: zeros, or its tail only
    expect([parse(Buffer.concat([header, record, Buffer.alloc(record.length)])).records.length, parse(Buffer.concat([header, record, Buffer.alloc(record.length)])).torn]).toEqual([1, true])
    const lastUnwritten = Buffer.from(two)
    lastUnwritten.fill(0, first + 8, first + record.length - 6)
    expect(parse(lastUnwritten)).toMatchObject({ torn: true, records: [{ version: 1 }] })
    // the same damage to the first record, with another after it: an error, not a torn tail
    const firstDamaged = Buffer.from(two)
    firstDamaged.fill(0, header.length + 8, header.length + record.length - 6)
    expect(Either.getLeft(parseJournal(firstDamaged))).toEqual(Option.some("record 1 at byte 8: damaged (checksum)"))
    // a length made larger in the middle of the log, which used to look like a torn tail
    const longer = Buffer.from(two)
    longer.writeUInt32BE(record.length * 10, header.length)
    expect(Either.getLeft(parseJournal(longer))).toEqual(Option.some("record 1 at byte 8: damaged (length checksum)"))
    // one bit of the first record's DER
    const flipped = Buffer.from(two)
    flipped[header.length + 12] = flipped[header.length + 12]! ^ 0x01
    expect(Either.isLeft(parseJournal(flipped))).toBe(true)
    // no header (the format of no released version), another format
    expect(Either.getLeft(parseJournal(Buffer.concat([record, record])))).toEqual(Option.some("not an albatross-ts state journal (no ATSJ header)"))
    const format2 = Buffer.from(two)
    format2.writeUInt32BE(2, 4)
    expect(Either.getLeft(parseJournal(format2))).toEqual(Option.some("unknown state journal format 2"))
    expect(parse(header)).toEqual({ records: [], torn: false })
  })

  it("a record around an image is written as pieces, the image not copied; a small record is one piece", () => {
    const s0 = mixed()
    const [a] = s0.unikernels
    const big = { name: a!.name, config: { ...a!.config, image: new Uint8Array(256 * 1024).fill(9) } }
    const journal = { version: 1, names: [big.name], changed: [big], policies: s0.policies }
    const pieces = [...journalRecord(journal).pieces()]
    // the bytes before the image, the image itself (the configuration's own array), the bytes after it
    expect(pieces).toHaveLength(3)
    expect(pieces[1]).toBe(big.config.image)
    expect(pieces[0]!.length + pieces[2]!.length).toBeLessThan(4096)
    const file = concatPieces(journalStartingWith(journal))
    expect(Either.getOrThrow(parseJournal(file)).records[0]!.changed[0]!.config.image).toEqual(big.config.image)
    const small = { version: 1, names: [big.name], changed: [], policies: s0.policies }
    expect([...journalRecord(small).pieces()]).toHaveLength(1)
    expect([...journalStartingWith(small).pieces()]).toHaveLength(1)
    expect(Either.getOrThrow(parseJournal(concatPieces(journalStartingWith(small)))).records).toHaveLength(1)
  })

  it("an undecodable journal fails the restore with its name", async () => {
    const { dbdir, store } = journaled()
    await run(store.dump(EMPTY_STATE))
    writeFileSync(`${dbdir}/state.journal`, Buffer.concat([journalHeader(), Buffer.from("garbage that is not a record at all")]))
    expect((await runFailure(makePosixStateStore({ tmpdir: dbdir, dbdir }).restore)).message).toMatch(
      /^couldn't parse state journal .*state\.journal: /
    )
  })
})
