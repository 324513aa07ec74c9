/**
 * The built albatrossd as a child process with the fake tender and a console stand-in, over the
 * real socket: create, info, console output through the FIFO, destroy, crash and restart, the
 * exit-64 retry, the crash-loop cap, kill -9 and start again, SIGTERM.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeStateSync } from "../../src/wire/index.js"
import { applyJournal, parseJournal } from "../../src/wire/state-journal.js"
import type { PersistedState } from "../../src/domain/wire.js"
import { installFakeTender } from "../fixtures/fake-tender/install.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { config, replyText } from "./support.js"
import { type ConsoleStandIn, pidsMentioning, request, requireBuild, type RunningDaemon, startConsole, startDaemon, waitFor } from "./e2e-support.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "albatrossd-e2e-"))
const tmpdir = path.join(root, "run")
const dbdir = path.join(root, "db")
const tenderLog = path.join(root, "tender.log")
const image = solo5Image({ target: "hvt", abi: 2, devices: [] })
const env = { ...process.env, FAKE_TENDER_LOG: tenderLog }
const args = ["--tmpdir", tmpdir, "--dbdir", dbdir, "--restart-delay", "0.05", "--crash-loop-restarts", "3", "--crash-loop-window", "60"]

const starts = (needle: string) =>
  fs.existsSync(tenderLog) ? fs.readFileSync(tenderLog, "utf8").split("\n").filter((l) => l.includes(needle)) : []

let consolePeer: ConsoleStandIn
let daemon: RunningDaemon | undefined

beforeAll(async () => {
  requireBuild()
  for (const d of ["util", "fifo"]) fs.mkdirSync(path.join(tmpdir, d), { recursive: true })
  fs.mkdirSync(path.join(dbdir, "block"), { recursive: true })
  installFakeTender(dbdir, ["solo5-hvt"])
  consolePeer = await startConsole(tmpdir)
})

afterAll(async () => {
  daemon?.child.kill("SIGKILL")
  for (const pid of pidsMentioning(root)) process.kill(pid, "SIGKILL")
  await consolePeer?.close()
})

const ask = async (name: string, cmd: Parameters<typeof request>[2]) => replyText(await request(tmpdir, name, cmd))

describe("albatrossd end to end (built daemon, fake tender)", () => {
  it("runs, supervises and persists unikernels over the real socket", { timeout: 60000 }, async () => {
    daemon = await startDaemon(args, env)

    // create, and the console output arrives through the FIFO
    expect(await ask("hello", { _tag: "UnikernelCreate", config: config({ image, argv: ["--fake-lines=2"] }) })).toBe(
      "success:created unikernel"
    )
    await waitFor("console output", () => (consolePeer.output.get(":hello") ?? "").includes("line 2"))
    expect(consolePeer.output.get(":hello")).toContain("Solo5: guest command line: --fake-lines=2")

    const info = await request(tmpdir, ":", { _tag: "UnikernelInfo" })
    expect(replyText(info)).toBe("success:UnikernelInfo")
    if (info.payload._tag === "Success" && info.payload.success._tag === "UnikernelInfo")
      expect(info.payload.success.unikernels.map((u) => u.name.toString())).toEqual([":hello"])

    // destroy: the tender is gone, and so are its image and FIFO
    const [pid] = pidsMentioning(path.join(tmpdir, ":hello.img"))
    expect(pid).toBeDefined()
    expect(await ask("hello", { _tag: "UnikernelDestroy" })).toBe("success:destroyed unikernel")
    expect(fs.existsSync(`/proc/${pid}`)).toBe(false)
    expect(fs.existsSync(path.join(tmpdir, ":hello.img"))).toBe(false)
    expect(fs.existsSync(path.join(tmpdir, "fifo", ":hello"))).toBe(false)

    // a crashing unikernel with restart-on-fail: restarted with backoff, then given up (3 restarts)
    const crash = config({ image, failBehaviour: { _tag: "Restart", exitCodes: null }, argv: ["--fake-exit=3"] })
    expect(await ask("crash", { _tag: "UnikernelCreate", config: crash })).toBe("success:created unikernel")
    await waitFor("crash loop cap", () => daemon!.log().includes("crash loop"))
    expect(starts(":crash.img")).toHaveLength(4)

    // exit 64 with an injected --name: started again without it
    const old = config({ image, addName: true, argv: ["--fake-exit-if-name=64"] })
    expect(await ask("old", { _tag: "UnikernelCreate", config: old })).toBe("success:created unikernel")
    await waitFor("retry without --name", () => starts(":old.img").length === 2)
    expect(starts(":old.img")[1]).not.toContain("--name=old")

    expect(await ask("keep", { _tag: "UnikernelCreate", config: config({ image }) })).toBe("success:created unikernel")

    // kill -9: the tenders stay orphaned (as with the reference); we clean them up, start again: both come back
    daemon.child.kill("SIGKILL")
    await daemon.exited
    for (const p of pidsMentioning(root)) process.kill(p, "SIGKILL")
    await waitFor("orphans gone", () => pidsMentioning(root).length === 0)
    const before = starts(":keep.img").length
    daemon = await startDaemon(args, env)
    await waitFor("restore", () => starts(":keep.img").length === before + 1 && starts(":old.img").length === 3)
    const again = await request(tmpdir, ":", { _tag: "UnikernelInfo" })
    if (again.payload._tag === "Success" && again.payload.success._tag === "UnikernelInfo")
      expect(again.payload.success.unikernels.map((u) => u.name.toString()).sort()).toEqual([":keep", ":old"])
    expect(starts(":old.img")[2]).not.toContain("--name=old")
    expect(fs.readdirSync(dbdir)).toContain("state.started")

    // SIGTERM: every unikernel stopped, exit 0, the state file still lists them
    const stateFile = path.join(dbdir, "state")
    await waitFor("both persisted", () => {
      const bytes = fs.readFileSync(stateFile)
      return bytes.includes(":keep") && bytes.includes(":old")
    })
    const state = fs.readFileSync(stateFile)
    daemon.child.kill("SIGTERM")
    const exit = await daemon.exited
    expect(exit.code).toBe(0)
    expect(pidsMentioning(root)).toEqual([])
    expect(fs.readFileSync(path.join(dbdir, "state")).toString("hex")).toBe(state.toString("hex"))
    daemon = undefined
  })

  it("concurrent clients never overcommit a policy, and the state file stays whole", { timeout: 90000 }, async () => {
    daemon = await startDaemon(args, env)
    const policy = { unikernels: 4n, cpuids: [0], memory: 128, block: null, bridges: [] }
    expect(await ask("team:", { _tag: "PolicyAdd", policy })).toBe("success:added policy")
    let peak = 0
    let created = 0
    const client = async (i: number) => {
      for (let round = 0; round < 2; round++) {
        const r = await ask(`team:c${i % 10}`, { _tag: "UnikernelCreate", config: config({ image, memory: 32 }) })
        expect(r).toMatch(/^(success:created unikernel|failure:(maximum amount of unikernels \(4\) reached|Unikernel with same name is already running|unikernel with same name already exists))$/)
        if (r === "success:created unikernel") created++
        const running = pidsMentioning(path.join(tmpdir, "team:")).length
        peak = Math.max(peak, running)
        const d = await ask(`team:c${i % 10}`, { _tag: "UnikernelDestroy" })
        expect(d).toMatch(/^(success:destroyed unikernel|failure:destroy: not found)$/)
      }
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => client(i)))
    expect(peak).toBeLessThanOrEqual(4)
    expect(created).toBeGreaterThan(4)
    const info = await request(tmpdir, "team:", { _tag: "UnikernelInfo" })
    const listed = info.payload._tag === "Success" && info.payload.success._tag === "UnikernelInfo" ? info.payload.success.unikernels.length : -1
    const team = (s: PersistedState) => s.unikernels.filter((u) => u.name.path[0] === "team").length
    // while it runs: `state`, and the records of a journal if there is one (small images: none), what a restart would restore
    const state = Either.getOrThrow(decodeStateSync(new Uint8Array(fs.readFileSync(path.join(dbdir, "state")))))
    const journalFile = path.join(dbdir, "state.journal")
    const records = fs.existsSync(journalFile) ? Either.getOrThrow(parseJournal(new Uint8Array(fs.readFileSync(journalFile)))).records : []
    expect(team(applyJournal(state, records).state)).toBe(listed)
    daemon.child.kill("SIGTERM")
    expect((await daemon.exited).code).toBe(0)
    daemon = undefined
    // after the shutdown: `state` alone, no journal
    expect(fs.readdirSync(dbdir)).not.toContain("state.journal")
    expect(team(Either.getOrThrow(decodeStateSync(new Uint8Array(fs.readFileSync(path.join(dbdir, "state"))))))).toBe(listed)
  })
  it("with real-sized images the state goes through the journal: kill -9 after the replies loses nothing", { timeout: 90000 }, async () => {
    // 2 MiB images of random bytes: three of them are past the 4 MiB journal threshold
    const bigImage = (i: number) => solo5Image({ target: "hvt", abi: 2, devices: [], payload: randomBytes(2 * 1024 * 1024 + i) })
    daemon = await startDaemon(args, env)
    for (const n of ["big1", "big2", "big3"])
      expect(await ask(`big:${n}`, { _tag: "UnikernelCreate", config: config({ image: bigImage(n.length) }) })).toBe("success:created unikernel")
    // acknowledged through the journal; the compaction waits for a second of quiet
    expect(fs.readdirSync(dbdir)).toContain("state.journal")
    daemon.child.kill("SIGKILL")
    await daemon.exited
    for (const p of pidsMentioning(root)) process.kill(p, "SIGKILL")
    await waitFor("orphans gone", () => pidsMentioning(root).length === 0)

    daemon = await startDaemon(args, env)
    const listed = async () => {
      const r = await request(tmpdir, "big:", { _tag: "UnikernelInfo" })
      return r.payload._tag === "Success" && r.payload.success._tag === "UnikernelInfo" ? r.payload.success.unikernels.map((u) => u.name.toString()).sort() : []
    }
    const deadline = Date.now() + 30000
    while ((await listed()).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await listed()).toEqual([":big1", ":big2", ":big3"])
    // the restore applied the journal, wrote the whole state and started an empty journal
    expect(Either.getOrThrow(parseJournal(new Uint8Array(fs.readFileSync(path.join(dbdir, "state.journal"))))).records).toEqual([])
    const stored = (file: string) => {
      const st = decodeStateSync(new Uint8Array(fs.readFileSync(path.join(dbdir, file))))
      return Either.isRight(st) ? st.right.unikernels.map((u) => u.name.toString()).filter((n) => n.startsWith("big:")).sort() : ["undecodable"]
    }
    expect(stored("state.started")).toEqual(["big:big1", "big:big2", "big:big3"])

    // SIGTERM right after a create: the journal is folded into a complete state file
    expect(await ask("big:big4", { _tag: "UnikernelCreate", config: config({ image: bigImage(4) }) })).toBe("success:created unikernel")
    daemon.child.kill("SIGTERM")
    expect((await daemon.exited).code).toBe(0)
    daemon = undefined
    expect(fs.readdirSync(dbdir)).not.toContain("state.journal")
    expect(stored("state")).toEqual(["big:big1", "big:big2", "big:big3", "big:big4"])
  })
})
