/** inspect-dump / extract-dump on the golden state vectors (spec §11.2, §11.5). */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeStateSync, encodeStateSync } from "../../src/wire/index.js"
import { journalHeader, journalStartingWith } from "../../src/wire/state-journal.js"
import { concatPieces } from "../../src/wire/pieces.js"
import { Name } from "../../src/domain/name.js"
import { runClientCaptured } from "./support/run-client.js"
import { vectorsDir } from "./support/transcripts.js"

interface StateVector {
  readonly name: string
  readonly kind: string
  readonly direction: string
  readonly hex: string
  readonly value?: {
    readonly unikernels: ReadonlyArray<{ readonly name: string; readonly value: { readonly image: string; readonly compressed: boolean } }>
    readonly policies: ReadonlyArray<{ readonly name: string }>
  }
}

const vectors = (JSON.parse(fs.readFileSync(path.join(vectorsDir, "vectors.json"), "utf8")) as Array<StateVector>).filter(
  (v) => v.kind === "state"
)
const positive = vectors.filter((v) => v.direction !== "negative")
const negative = vectors.filter((v) => v.direction === "negative")

let root: string
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-client-dump-"))
})
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

const dbdirWith = (vector: { name: string; hex: string }): string => {
  const dir = fs.mkdtempSync(path.join(root, vector.name.replace(/\//g, "_") + "-"))
  fs.writeFileSync(path.join(dir, "state"), Buffer.from(vector.hex, "hex"))
  return dir
}

/** Display form of a name as the reference prints it. */
const display = (s: string): string => Either.getOrThrow(Name.fromString(s)).display()

describe("inspect-dump", () => {
  it("reads every state vector, listing unikernels and policies in trie order", async () => {
    expect(positive.length).toBeGreaterThan(20)
    for (const vector of positive) {
      const dbdir = dbdirWith(vector)
      const run = await runClientCaptured(["inspect-dump", "--dbdir", dbdir], { tempDir: root })
      expect(run.code, `${vector.name}: ${run.stdout}${run.stderr}`).toBe(0)
      const value = vector.value!
      const lines = run.stdout.split("\n")
      expect(lines[0]).toBe(`parsed ${value.unikernels.length} unikernels:`)
      const heads = lines.filter((l) => l.startsWith("[unikernel: "))
      const names = [...value.unikernels.map((u) => u.name), ...value.policies.map((p) => p.name)]
      // state vectors are written in trie pre-order, which is also the order printed
      expect(heads.map((l) => l.slice(0, l.indexOf("]") + 1))).toEqual(names.map(display))
      expect(run.stdout).toContain(`parsed ${value.policies.length} policies:\n`)
    }
  })

  it("prints configurations and policies with the reference's printers", async () => {
    const vector = positive.find((v) => v.name === "state/unikernels-only")!
    const run = await runClientCaptured(["inspect-dump", "--file", path.join(dbdirWith(vector), "state")], { tempDir: root })
    expect(run.code).toBe(0)
    expect(run.stdout.replace(/\n(?!\[|parsed|$)/g, " ")).toBe(
      "parsed 2 unikernels:\n" +
        "[unikernel: a:bar]: typ solo5 compression false image 7 bytes fail behaviour quit startup at not specified " +
        "add_name true CPUids 0 64 MB memory block devices  bridge  #cpus 1 linux_boot not specified\n" +
        "[unikernel: :foo]: typ solo5 compression false image 7 bytes fail behaviour quit startup at not specified " +
        "add_name true CPUids 0 32 MB memory block devices  bridge  #cpus 1 linux_boot not specified\n" +
        "parsed 0 policies:\n"
    )
    const policies = positive.find((v) => v.name === "state/policies-only")!
    const run2 = await runClientCaptured(["inspect-dump", "--dbdir", dbdirWith(policies)], { tempDir: root })
    expect(run2.stdout).toBe(
      "parsed 0 unikernels:\n" +
        "parsed 3 policies:\n" +
        "[unikernel: :]: policy: 100 unikernels 0,1,2,3 CPUids 100000 MB memory 1000 MB block, bridges: ext, service\n" +
        "[unikernel: tenant:]: policy: 10 unikernels 0,1 CPUids 1024 MB memory no block, bridges: service\n" +
        "[unikernel: tenant:sub:]: policy: 1 unikernels 1 CPUids 64 MB memory no block\n"
    )
  })

  it("applies albatrossd's state.journal next to state, and says so", async () => {
    const vector = positive.find((v) => v.name === "state/unikernels-only")!
    const dir = dbdirWith(vector)
    const state = Either.getOrThrow(decodeStateSync(new Uint8Array(fs.readFileSync(path.join(dir, "state")))))
    // one record: only the second unikernel left, with 48 MB
    const [, foo] = state.unikernels
    const record = concatPieces(journalStartingWith({ version: 1, names: [foo!.name], changed: [{ name: foo!.name, config: { ...foo!.config, memory: 48 } }], policies: [] }))
    fs.writeFileSync(path.join(dir, "state.journal"), record)
    const run = await runClientCaptured(["inspect-dump", "--dbdir", dir], { tempDir: root })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("parsed 1 unikernels:\n")
    expect(run.stdout).toContain("48 MB memory")
    expect(run.stdout + run.stderr).toContain("state.journal (1 records not yet in")
    // not for another file of the directory
    fs.copyFileSync(path.join(dir, "state"), path.join(dir, "state.bak"))
    const bak = await runClientCaptured(["inspect-dump", "--dbdir", dir, "--file", "state.bak"], { tempDir: root })
    expect(bak.stdout).toContain("parsed 2 unikernels:\n")
    expect(bak.stdout + bak.stderr).not.toContain("state.journal")
  })

  it("says nothing of an empty journal (what a running albatrossd keeps once state is complete)", async () => {
    const vector = positive.find((v) => v.name === "state/unikernels-only")!
    const dir = dbdirWith(vector)
    fs.writeFileSync(path.join(dir, "state.journal"), journalHeader())
    const run = await runClientCaptured(["inspect-dump", "--dbdir", dir], { tempDir: root })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("parsed 2 unikernels:\n")
    expect(run.stdout + run.stderr).not.toContain("state.journal")
  })

  it("resolves a bare --file name inside --dbdir", async () => {
    const vector = positive.find((v) => v.name === "state/policies-only")!
    const dir = dbdirWith(vector)
    fs.renameSync(path.join(dir, "state"), path.join(dir, "state.bak"))
    const run = await runClientCaptured(["inspect-dump", "--dbdir", dir, "--file", "state.bak"], { tempDir: root })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("parsed 3 policies:")
  })

  it("answers --json with one object", async () => {
    const vector = positive.find((v) => v.name === "state/unikernels-only")!
    const run = await runClientCaptured(["inspect-dump", "--json", "--dbdir", dbdirWith(vector)], { tempDir: root })
    expect(run.code).toBe(0)
    const parsed = JSON.parse(run.stdout) as { unikernels: Array<{ name: string; value: { image_size: number; argv: unknown } }> }
    expect(parsed.unikernels.map((u) => u.name)).toEqual(["a:bar", ":foo"])
    expect(parsed.unikernels[0]!.value.image_size).toBe(7)
    expect(parsed.unikernels[0]!.value.argv).toEqual(["-l", "*:debug"])
  })

  it("rejects every corrupt state file with a clear message and exit 124", async () => {
    expect(negative.length).toBeGreaterThan(3)
    for (const vector of negative) {
      const run = await runClientCaptured(["inspect-dump", "--dbdir", dbdirWith(vector)], { tempDir: root })
      expect(run.code, vector.name).toBe(124)
      expect(run.stdout).toMatch(/^albatross-client: \[ERROR\] couldn't parse dump file: .+\n$/)
    }
  })

  it("reports a missing file and a missing --dbdir", async () => {
    const empty = fs.mkdtempSync(path.join(root, "empty-"))
    const missing = await runClientCaptured(["inspect-dump", "--dbdir", empty], { tempDir: root })
    expect(missing).toMatchObject({ code: 124, stdout: "albatross-client: [ERROR] dump file not found\n" })
    const noDir = await runClientCaptured(["inspect-dump", "--dbdir", path.join(empty, "nope")], { tempDir: root })
    expect(noDir.code).toBe(124)
    expect(noDir.stderr).toContain(`no '${path.join(empty, "nope")}' directory`)
  })
})

describe("extract-dump", () => {
  it("writes the image of the named unikernel and prints its configuration", async () => {
    const vector = positive.find((v) => v.name === "state/unikernels-only")!
    const dumps = fs.mkdtempSync(path.join(root, "dumps-"))
    const start = new Date("2026-01-02T03:04:05Z")
    const run = await runClientCaptured(["extract-dump", "a:bar", "--dbdir", dbdirWith(vector)], { tempDir: dumps, startTime: start })
    expect(run.code, run.stderr).toBe(0)
    const file = path.join(dumps, "a:bar.2026-01-02T03:04:05-00:00")
    expect(fs.readFileSync(file).toString("hex")).toBe("7f454c46020101")
    expect(run.stdout.split("\n")[0]).toBe(`dumped image to ${file}`)
    expect(run.stdout.replace(/\n(?!$)/g, " ")).toContain("argv -l *:debug")
  })

  it("uncompresses a compressed image", async () => {
    const image = Buffer.from("an image that was stored compressed")
    const state = Either.getOrThrow(
      encodeStateSync({
        unikernels: [
          {
            name: Either.getOrThrow(Name.fromString("z:comp")),
            config: {
              typ: "solo5",
              compressed: true,
              image: new Uint8Array(zlib.deflateSync(image)),
              failBehaviour: { _tag: "Quit" },
              startup: null,
              addName: true,
              cpuids: [0],
              memory: 32,
              blockDevices: [],
              bridges: [],
              argv: null,
              numcpus: 1,
              linuxBootPartition: null
            }
          }
        ],
        policies: []
      })
    )
    const dir = dbdirWith({ name: "compressed", hex: Buffer.from(state).toString("hex") })
    const dumps = fs.mkdtempSync(path.join(root, "dumps-"))
    const run = await runClientCaptured(["extract-dump", "z:comp", "--dbdir", dir, "--json"], { tempDir: dumps })
    expect(run.code, run.stderr).toBe(0)
    const out = JSON.parse(run.stdout) as { file: string }
    expect(fs.readFileSync(out.file).equals(image)).toBe(true)
  })

  it("fails with 124 for an unknown unikernel, an invalid name and a corrupt image", async () => {
    const vector = positive.find((v) => v.name === "state/unikernels-only")!
    const notFound = await runClientCaptured(["extract-dump", "nope", "--dbdir", dbdirWith(vector)], { tempDir: root })
    expect(notFound).toMatchObject({ code: 124, stdout: "albatross-client: [ERROR] unikernel not found\n" })
    const invalid = await runClientCaptured(["extract-dump", "in valid", "--dbdir", dbdirWith(vector)], { tempDir: root })
    expect(invalid.code).toBe(124)
    expect(invalid.stderr).toContain("invalid name")
    // legacy/state-v3 marks a non-zlib image as compressed
    const legacy = positive.find((v) => v.name === "legacy/state-v3")!
    const corrupt = await runClientCaptured(["extract-dump", "old3", "--dbdir", dbdirWith(legacy)], { tempDir: root })
    expect(corrupt.code).toBe(124)
    expect(corrupt.stdout).toMatch(/^albatross-client: \[ERROR\] failed to uncompress image: /)
  })
})
