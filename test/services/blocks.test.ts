import { mkdirSync, readFileSync, statSync, writeFileSync, readdirSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { deflateSync, inflateSync } from "node:zlib"
import { Chunk, Effect, Either, Logger, Option, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { bytesOfMb, makePosixBlocks, mbOfBytes, rechunk } from "../../src/layers/linux/blocks.js"
import { TestBlocks } from "../../src/layers/test/blocks.js"
import type { BlocksService } from "../../src/services/blocks.js"
import { run, runFailure, tempDir } from "./support.js"

const MB = 1 << 20
const n = (s: string) => Either.getOrThrow(Name.fromString(s))

const fresh = () => {
  const dbdir = tempDir()
  return { dbdir, blocks: makePosixBlocks({ tmpdir: dbdir, dbdir }) }
}

const collect = (s: Stream.Stream<Uint8Array, unknown>) =>
  run(Effect.map(Stream.runCollect(s), (c) => Chunk.toReadonlyArray(c)))

/** Runs and returns the warnings logged. */
const withLogs = async <A>(e: Effect.Effect<A>): Promise<{ value: A; logs: Array<string> }> => {
  const logs: Array<string> = []
  const logger = Logger.make(({ message }) => logs.push(String(Array.isArray(message) ? message.join(" ") : message)))
  const value = await run(Effect.provide(e, Logger.replace(Logger.defaultLogger, logger)))
  return { value, logs }
}

/** Byte equality without vitest's element-by-element deep equality (slow on megabytes). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

const pattern = (len: number) => {
  const out = new Uint8Array(len)
  for (let i = 0; i < len; i++) out[i] = (i * 31 + (i >> 8)) & 0xff
  return out
}

describe("block discovery (spec §4.2 step 2)", () => {
  it("keeps MB-aligned regular files with valid names, warns about the rest", async () => {
    const { dbdir, blocks } = fresh()
    mkdirSync(`${dbdir}/block`)
    writeFileSync(`${dbdir}/block/alice:data`, new Uint8Array(2 * MB))
    writeFileSync(`${dbdir}/block/:root`, new Uint8Array(MB))
    writeFileSync(`${dbdir}/block/alice:odd`, new Uint8Array(MB + 1))
    writeFileSync(`${dbdir}/block/alice:empty`, "")
    writeFileSync(`${dbdir}/block/bad_name!`, new Uint8Array(MB))
    mkdirSync(`${dbdir}/block/adir`)
    const { value, logs } = await withLogs(blocks.discover)
    expect(value.map((b) => [b.name.toString(), b.size])).toEqual([
      [":root", 1],
      ["alice:data", 2]
    ])
    expect(logs).toEqual(
      expect.arrayContaining([
        `file ${dbdir}/block/alice:odd size error: size is either 0 or not MB aligned`,
        `file ${dbdir}/block/alice:empty size error: size is either 0 or not MB aligned`,
        `file ${dbdir}/block/bad_name! name error: invalid name`
      ])
    )
    expect(logs).toHaveLength(4)
  })

  it("a missing directory is a warning and no blocks", async () => {
    const { blocks } = fresh()
    const { value, logs } = await withLogs(blocks.discover)
    expect(value).toEqual([])
    expect(logs[0]).toMatch(/block directory .*: No such file or directory/)
  })
})

describe("block create and remove (spec §5.8)", () => {
  it("creates the directory 0700 and the file 0600 at size MB, with content", async () => {
    const { dbdir, blocks } = fresh()
    const old = process.umask(0o022)
    try {
      await run(blocks.create(n("alice:data"), 3, Option.some(new Uint8Array([1, 2, 3]))))
    } finally {
      process.umask(old)
    }
    expect(statSync(`${dbdir}/block`).mode & 0o777).toBe(0o700)
    const path = blocks.path(n("alice:data"))
    expect(path).toBe(`${dbdir}/block/alice:data`)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(path).size).toBe(3 * MB)
    expect([...readFileSync(path).subarray(0, 4)]).toEqual([1, 2, 3, 0])
    expect((await runFailure(blocks.create(n("alice:data"), 1, Option.none()))).message).toBe("file already exists")
    await run(blocks.remove(n("alice:data")))
    await run(blocks.remove(n("alice:data")))
    expect(readdirSync(`${dbdir}/block`)).toEqual([])
  })

  it("size 0 fails with `overflow while computing bytes`, after creating the empty file (QUIRK kept)", async () => {
    const { blocks } = fresh()
    expect((await runFailure(blocks.create(n(":z"), 0, Option.none()))).message).toBe("overflow while computing bytes")
    expect(statSync(blocks.path(n(":z"))).size).toBe(0)
    expect(bytesOfMb(2 ** 40)).toEqual(Either.left("overflow while computing bytes"))
    expect(bytesOfMb(-1)).toEqual(Either.left("overflow while computing bytes"))
    expect(mbOfBytes(5 * MB)).toEqual(Either.right(5))
  })
})

const setAndRead = async (blocks: BlocksService, name: Name, size: number, compressed: boolean, chunks: ReadonlyArray<Uint8Array>) => {
  await run(blocks.set(name, size, compressed, Stream.fromIterable(chunks)))
  return new Uint8Array(readFileSync(blocks.path(name)))
}

describe("block set, streamed (spec §4.4 Block_set)", () => {
  it("replaces the content and extends to the size", async () => {
    const { blocks } = fresh()
    await run(blocks.create(n(":d"), 2, Option.some(new Uint8Array(MB).fill(9))))
    const data = pattern(300_000)
    const file = await setAndRead(blocks, n(":d"), 2, false, rechunk(data, 7_000))
    expect(file.length).toBe(2 * MB)
    expect(same(file.subarray(0, data.length), data)).toBe(true)
    expect(file.subarray(data.length).every((b) => b === 0)).toBe(true)
  })

  it("inflates a compressed stream in arbitrary chunks", async () => {
    const { blocks } = fresh()
    await run(blocks.create(n(":d"), 1, Option.none()))
    const data = pattern(MB)
    const z = deflateSync(data, { level: 9 })
    const file = await setAndRead(blocks, n(":d"), 1, true, rechunk(z, 333))
    expect(same(file, data)).toBe(true)
  })

  it("fails with `stream exceeds size` (raw and inflated)", async () => {
    const { blocks } = fresh()
    await run(blocks.create(n(":d"), 1, Option.none()))
    const tooMuch = new Uint8Array(MB + 1)
    expect((await runFailure(blocks.set(n(":d"), 1, false, Stream.fromIterable(rechunk(tooMuch, 65536))))).message).toBe(
      "stream exceeds size"
    )
    expect((await runFailure(blocks.set(n(":d"), 1, true, Stream.make(deflateSync(tooMuch))))).message).toBe(
      "stream exceeds size"
    )
  })

  it("reports bad compressed data, and passes the upstream error through unchanged", async () => {
    const { blocks } = fresh()
    await run(blocks.create(n(":d"), 1, Option.none()))
    expect((await runFailure(blocks.set(n(":d"), 1, true, Stream.make(new Uint8Array([1, 2, 3, 4]))))).message).toMatch(
      /^failed to uncompress: /
    )
    const upstream = Stream.concat(Stream.make(new Uint8Array(10)), Stream.fail("connection reset" as const))
    expect(await runFailure(blocks.set(n(":d"), 1, false, upstream))).toBe("connection reset")
  })
})

describe("block dump, streamed (spec §4.4 Block_dump)", () => {
  it("streams the raw file in chunks of at most 64 KiB", async () => {
    const { blocks } = fresh()
    const data = pattern(3 * MB)
    await run(blocks.create(n(":d"), 3, Option.some(data)))
    const chunks = await collect(blocks.dump(n(":d"), 0))
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(65536)
    expect(same(Buffer.concat(chunks), data)).toBe(true)
  })

  it("deflates at the level, output chunks at most 64 KiB, inflating to the file", async () => {
    const { blocks } = fresh()
    const data = new Uint8Array(randomBytes(2 * MB))
    await run(blocks.create(n(":d"), 2, Option.some(data)))
    const chunks = await collect(blocks.dump(n(":d"), 1))
    expect(chunks.length).toBeGreaterThan(1)
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(65536)
    expect(same(inflateSync(Buffer.concat(chunks)), data)).toBe(true)
  })

  it("a missing file fails with `streaming block device`", async () => {
    const { blocks } = fresh()
    const err = await runFailure(Stream.runDrain(blocks.dump(n(":gone"), 0)))
    expect(err.message).toBe("streaming block device")
  })
})

describe("test blocks layer", () => {
  it("follows the same rules in memory", async () => {
    const t = new TestBlocks()
    await run(t.service.create(n("a:b"), 1, Option.some(new Uint8Array([5]))))
    expect((await runFailure(t.service.create(n("a:b"), 1, Option.none()))).message).toBe("file already exists")
    await run(t.service.set(n("a:b"), 1, true, Stream.make(deflateSync(new Uint8Array([7, 7])))))
    expect(t.files.get("a:b")!.subarray(0, 3)).toEqual(new Uint8Array([7, 7, 0]))
    const dumped = Buffer.concat(await collect(t.service.dump(n("a:b"), 6)))
    expect(inflateSync(dumped).length).toBe(MB)
    t.files.set("bad", new Uint8Array(3))
    expect((await run(t.service.discover)).map((b) => b.name.toString())).toEqual(["a:b"])
  })
})

describe("block set interrupted", () => {
  it("stops reading and writing when the fiber is interrupted (a connection that went away)", async () => {
    const { blocks } = fresh()
    await run(blocks.create(n(":d"), 1, Option.none()))
    let sourceClosed = false
    const never = Stream.concat(Stream.make(new Uint8Array(100).fill(1)), Stream.never).pipe(
      Stream.ensuring(Effect.sync(() => (sourceClosed = true)))
    )
    const exit = await Effect.runPromise(Effect.exit(Effect.timeout(blocks.set(n(":d"), 1, false, never), "200 millis")))
    expect(exit._tag).toBe("Failure")
    for (let i = 0; i < 100 && !sourceClosed; i++) await new Promise((r) => setTimeout(r, 10))
    expect(sourceClosed).toBe(true)
    expect(readFileSync(blocks.path(n(":d"))).subarray(0, 100).every((b) => b === 1)).toBe(true)
  })
})

describe("concurrent block creates", () => {
  it("exactly one create of a name wins, the others get `file already exists`", async () => {
    const { blocks } = fresh()
    const results = await run(
      Effect.all(Array.from({ length: 6 }, () => Effect.either(blocks.create(n(":same"), 1, Option.none()))), {
        concurrency: "unbounded"
      })
    )
    expect(results.filter(Either.isRight)).toHaveLength(1)
    expect(results.filter(Either.isLeft).map((l) => Either.isLeft(l) && l.left.message)).toEqual(
      Array(5).fill("file already exists")
    )
  })
})
