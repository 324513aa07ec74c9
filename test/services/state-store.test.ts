import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { Effect, Either, Logger } from "effect"
import { describe, expect, it } from "vitest"
import { makePosixStateStore } from "../../src/layers/linux/state-store.js"
import { TestStateStore } from "../../src/layers/test/state-store.js"
import { EMPTY_STATE } from "../../src/services/state-store.js"
import { decodeStateSync } from "../../src/wire/index.js"
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
  })

  it("every roundtrip vector dumps byte-exact", async () => {
    const { dbdir, store } = fresh()
    for (const v of roundtrip) {
      await run(store.dump(Either.getOrThrow(decodeStateSync(hex(v.hex)))))
      expect(readFileSync(`${dbdir}/state`).toString("hex"), v.name).toBe(v.hex)
    }
  })

  it("a failed write leaves the previous state intact and no temp file", async () => {
    const { dbdir, store } = fresh()
    await run(store.dump(EMPTY_STATE))
    const before = readFileSync(`${dbdir}/state`)
    // a directory where state.bak goes makes the rotation fail (also as root)
    mkdirSync(`${dbdir}/state.bak/x`, { recursive: true })
    expect((await runFailure(store.dump(Either.getOrThrow(decodeStateSync(hex(roundtrip[1]!.hex)))))).message).toMatch(
      /^while writing state: /
    )
    expect(readFileSync(`${dbdir}/state`)).toEqual(before)
    expect(readdirSync(dbdir).sort()).toEqual(["state", "state.bak"])
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
  it("are group-committed: every caller returns after a durable write of the newest state", async () => {
    const { dbdir, store } = fresh()
    const states = roundtrip.slice(0, 6).map((v) => Either.getOrThrow(decodeStateSync(hex(v.hex))))
    await run(Effect.all(states.map((s) => store.dump(s)), { concurrency: "unbounded" }))
    expect(readFileSync(`${dbdir}/state`).toString("hex")).toBe(roundtrip[5]!.hex)
    // all six arrived before the writer ran: one write, so no previous state to keep
    expect(readdirSync(dbdir).sort()).toEqual(["state"])
    // sequential dumps still rotate one by one
    await run(store.dump(states[2]!))
    expect(readFileSync(`${dbdir}/state.bak`).toString("hex")).toBe(roundtrip[5]!.hex)
  })

  it("a failed group write fails every waiter of that group", async () => {
    const { dbdir, store } = fresh()
    await run(store.dump(EMPTY_STATE))
    mkdirSync(`${dbdir}/state.bak/x`, { recursive: true })
    const results = await run(
      Effect.all([store.dump(EMPTY_STATE), store.dump(EMPTY_STATE), store.dump(EMPTY_STATE)].map(Effect.either), {
        concurrency: "unbounded"
      })
    )
    expect(results.every(Either.isLeft)).toBe(true)
  })
})
