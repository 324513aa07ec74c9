/**
 * How the client reads replies (spec §11.5, §11.6) against a scripted daemon: exit codes
 * for every kind of answer, `--json`, console escaping, streams that end, uploads that
 * the daemon cuts short.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Payload } from "../../src/domain/wire.js"
import { runClientCaptured } from "./support/run-client.js"
import { type ScriptStep, StubDaemons } from "./support/stub-daemon.js"
import { encode, nameOf } from "./support/transcripts.js"

let root: string
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-client-session-"))
})
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

const reply = (name: string, payload: Payload): ScriptStep => ({
  _tag: "send",
  payload: encode({ header: { version: 5, sequence: 0n, name: nameOf(name) }, payload })
})

const withStub = async (socket: string, steps: ReadonlyArray<ScriptStep>, args: ReadonlyArray<string>, stderrIsTTY = false) => {
  const dir = fs.mkdtempSync(path.join(root, "run-"))
  const stub = await StubDaemons.start(dir, [{ socket, steps }])
  const run = await runClientCaptured([...args, "--tmpdir", dir], { tempDir: dir, stderrIsTTY })
  await stub.close()
  return { run, stub, dir }
}

const VMMD = "util/vmmd.sock"
const CONSOLE = "util/console.sock"
const afterCommand: ScriptStep = { _tag: "await", frames: 1 }

describe("reply handling and exit codes", () => {
  it("a connection closed before any reply is a communication failure (121), not success", async () => {
    const { run } = await withStub(VMMD, [afterCommand], ["destroy", "foo"])
    expect(run.code).toBe(121)
    expect(run.stdout).toBe("albatross-client: [ERROR] connection closed by the daemon before any reply\n")
  })

  it("no daemon listening: connect failure (122)", async () => {
    const dir = fs.mkdtempSync(path.join(root, "empty-"))
    const run = await runClientCaptured(["info", "--tmpdir", dir], { tempDir: dir })
    expect(run.code).toBe(122)
    expect(run.stdout).toContain(`couldn't connect to unix domain socket ${path.join(dir, "util", "vmmd.sock")}`)
  })

  it("--socket PATH overrides the default socket", async () => {
    const dir = fs.mkdtempSync(path.join(root, "custom-"))
    const stub = await StubDaemons.start(dir, [
      { socket: "elsewhere.sock", steps: [afterCommand, reply(":", { _tag: "Success", success: { _tag: "Empty" } })] }
    ])
    const run = await runClientCaptured(["info", "--socket", path.join(dir, "elsewhere.sock")], { tempDir: dir })
    await stub.close()
    expect(run).toMatchObject({ code: 0, stdout: "host [unikernel: :]: success\n" })
  })

  it("a Failure reply exits 117 with a warning line", async () => {
    const { run } = await withStub(VMMD, [afterCommand, reply(":foo", { _tag: "Failure", message: "no" })], ["destroy", "foo"])
    expect(run).toMatchObject({ code: 117, stdout: "albatross-client: [WARNING] host [unikernel: :foo]: command failed no\n" })
  })

  it("data where a single reply is expected exits 121; a command from the daemon exits 125", async () => {
    const data = await withStub(
      VMMD,
      [afterCommand, reply(":foo", { _tag: "Data", data: { _tag: "ConsoleData", timestamp: new Date(0), line: new Uint8Array() } })],
      ["destroy", "foo"]
    )
    expect(data.run.code).toBe(121)
    expect(data.run.stdout).toBe("albatross-client: [WARNING] Unexpected console data received\n")
    const block = await withStub(VMMD, [afterCommand, reply(":foo", { _tag: "Data", data: { _tag: "BlockData", data: null } })], ["info"])
    expect(block.run.code).toBe(121)
    expect(block.run.stdout).toBe("albatross-client: [WARNING] Unexpected block dump EOF received\n")
    const command = await withStub(VMMD, [afterCommand, reply(":foo", { _tag: "Command", command: { _tag: "UnikernelInfo" } })], ["info"])
    expect(command.run.code).toBe(125)
  })

  it("an undecodable reply is a communication failure (121)", async () => {
    const { run } = await withStub(VMMD, [afterCommand, { _tag: "send", payload: new Uint8Array([0x30, 0x03, 0x02, 0x01]) }], ["info"])
    expect(run.code).toBe(121)
    expect(run.stdout).toMatch(/^albatross-client: \[ERROR\] communication failure: /)
  })

  it("a block dump cut off before its end marker exits 121", async () => {
    const { run } = await withStub(
      VMMD,
      [
        afterCommand,
        reply(":disk", { _tag: "Success", success: { _tag: "BlockDeviceImage", compressed: false } }),
        reply(":disk", { _tag: "Data", data: { _tag: "BlockData", data: new Uint8Array([1, 2, 3]) } })
      ],
      ["dump-block", "disk"]
    )
    expect(run.code).toBe(121)
    expect(run.stdout).toContain("connection closed before the end of the dump")
  })

  it("a compressed block dump is inflated into the file", async () => {
    const zlib = await import("node:zlib")
    const content = Buffer.alloc(300_000, 0x5a)
    const compressed = zlib.deflateSync(content)
    const half = compressed.length >> 1
    const { run, dir } = await withStub(
      VMMD,
      [
        afterCommand,
        reply(":disk", { _tag: "Success", success: { _tag: "BlockDeviceImage", compressed: true } }),
        reply(":disk", { _tag: "Data", data: { _tag: "BlockData", data: new Uint8Array(compressed.subarray(0, half)) } }),
        reply(":disk", { _tag: "Data", data: { _tag: "BlockData", data: new Uint8Array(compressed.subarray(half)) } }),
        reply(":disk", { _tag: "Data", data: { _tag: "BlockData", data: null } })
      ],
      ["dump-block", "disk", "--compression-level", "3"]
    )
    expect(run.code, run.stdout).toBe(0)
    const file = /dumped to (.*)\n/.exec(run.stdout)![1]!
    expect(path.dirname(file)).toBe(dir)
    expect(fs.readFileSync(file).equals(content)).toBe(true)
  })
})

describe("get", () => {
  it("writes a compressed image uncompressed; an image that does not inflate is an error (124)", async () => {
    const zlib = await import("node:zlib")
    const image = Buffer.from("the unikernel image")
    const ok = await withStub(
      VMMD,
      [afterCommand, reply(":foo", { _tag: "Success", success: { _tag: "UnikernelImage", compressed: true, image: zlib.deflateSync(image) } })],
      ["get", "foo", "--compression-level", "9"]
    )
    expect(ok.run.code).toBe(0)
    const file = /dumped image to (.*)\n/.exec(ok.run.stdout)![1]!
    expect(fs.readFileSync(file).equals(image)).toBe(true)
    const broken = await withStub(
      VMMD,
      [afterCommand, reply(":foo", { _tag: "Success", success: { _tag: "UnikernelImage", compressed: true, image: new Uint8Array([1, 2, 3]) } })],
      ["get", "foo"]
    )
    expect(broken.run.code).toBe(124)
    expect(broken.run.stdout).toContain("albatross-client: [ERROR] failed to uncompress image: ")
  })
})

describe("streams and output", () => {
  it("console lines are escaped OCaml-style: no terminal control sequence reaches stdout", async () => {
    const line = new Uint8Array([...Buffer.from("evil "), 0x1b, ...Buffer.from("]0;pwned"), 0x07, 0x0a, 0xc3, 0xa9])
    const { run } = await withStub(
      CONSOLE,
      [
        afterCommand,
        reply(":foo", { _tag: "Success", success: { _tag: "String", message: "subscribed" } }),
        reply(":foo", { _tag: "Data", data: { _tag: "ConsoleData", timestamp: new Date("2024-05-06T07:08:09.123Z"), line } })
      ],
      ["console", "foo"]
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(
      "host [unikernel: :foo]: success: subscribed\n" +
        "console 2024-05-06T07:08:09-00:00: evil \\027]0;pwned\\007\\n\\195\\169\n"
    )
    expect(/[\x00-\x08\x0b-\x1f\x7f]/.test(run.stdout)).toBe(false)
  })

  it("--json prints one object per reply and data message", async () => {
    const { run } = await withStub(
      CONSOLE,
      [
        afterCommand,
        reply(":foo", { _tag: "Success", success: { _tag: "String", message: "subscribed" } }),
        reply(":foo", { _tag: "Data", data: { _tag: "ConsoleData", timestamp: new Date("2024-05-06T07:08:09.120Z"), line: Buffer.from("hi") } })
      ],
      ["console", "foo", "--json"]
    )
    expect(run.code).toBe(0)
    expect(run.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([
      { header: { version: 5, sequence: "0", name: ":foo" }, payload: { success: { type: "string", string: "subscribed" } } },
      {
        header: { version: 5, sequence: "0", name: ":foo" },
        payload: { data: { type: "console_data", timestamp: "2024-05-06T07:08:09.12Z", line: "hi" } }
      }
    ])
  })

  it("--json keeps stdout machine-readable on failures (the warning goes to stderr)", async () => {
    const { run } = await withStub(VMMD, [afterCommand, reply(":foo", { _tag: "Failure", message: "nope" })], ["destroy", "foo", "--json"])
    expect(run.code).toBe(117)
    expect(JSON.parse(run.stdout)).toEqual({ header: { version: 5, sequence: "0", name: ":foo" }, payload: { failure: "nope" } })
    expect(run.stderr).toBe("albatross-client: [WARNING] host [unikernel: :foo]: command failed nope\n")
  })

  it("set-block: the daemon refusing early is reported (117), the upload stops", async () => {
    const file = path.join(root, "big.bin")
    fs.writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 1))
    const { run, stub } = await withStub(
      VMMD,
      [afterCommand, reply(":disk", { _tag: "Failure", message: "block device not found" })],
      ["set-block", "disk", file]
    )
    expect(run.code).toBe(117)
    expect(run.stdout).toContain("command failed block device not found")
    expect(stub.received[0]!.frames.length).toBeGreaterThanOrEqual(1)
  })

  it("draws a progress bar on a terminal for uploads over a few MB, and nothing otherwise", async () => {
    const file = path.join(root, "upload.bin")
    fs.writeFileSync(file, Buffer.alloc(6 * 1024 * 1024, 2))
    const steps: Array<ScriptStep> = [{ _tag: "awaitEnd" }, reply(":disk", { _tag: "Success", success: { _tag: "String", message: "set block device" } })]
    const tty = await withStub(VMMD, steps, ["set-block", "disk", file], true)
    expect(tty.run.code).toBe(0)
    expect(tty.run.stderr).toContain("uploading [")
    expect(tty.run.stderr).toContain("100% 6.0/6.0 MB")
    const uploaded = tty.stub.received[0]!.frames.slice(1, -1) as Array<Uint8Array>
    expect(uploaded.reduce((n, c) => n + c.length, 0)).toBe(6 * 1024 * 1024)
    // a create carrying a big image: one frame, written in slices behind a progress bar
    const { solo5Image } = await import("./support/solo5-image.js")
    const imageFile = path.join(root, "big.hvt")
    const image = solo5Image([], 5 * 1024 * 1024)
    fs.writeFileSync(imageFile, image)
    const created = reply(":big", { _tag: "Success", success: { _tag: "String", message: "created unikernel" } })
    const create = await withStub(VMMD, [afterCommand, created], ["create", "big", imageFile], true)
    expect(create.run.code).toBe(0)
    expect(create.run.stderr).toContain("uploading [")
    const { decodeWireSync } = await import("../../src/wire/index.js")
    const { Either } = await import("effect")
    const sentCreate = Either.getOrThrow(decodeWireSync(create.stub.received[0]!.frames[0]!))
    expect(sentCreate.payload._tag === "Command" && sentCreate.payload.command._tag === "UnikernelCreate" && Buffer.from(sentCreate.payload.command.config.image).equals(image)).toBe(true)
    const plain = await withStub(VMMD, steps, ["set-block", "disk", file], false)
    expect(plain.run.code).toBe(0)
    expect(plain.run.stderr).toBe("")
  })
})

describe("hostile replies", () => {
  it("random and mutated reply frames never crash the client: it ends with a defined exit code", async () => {
    const fc = await import("fast-check")
    const valid = encode({
      header: { version: 5, sequence: 0n, name: nameOf(":foo") },
      payload: { _tag: "Success", success: { _tag: "String", message: "subscribed" } }
    })
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const copy = new Uint8Array(valid)
      copy[i] = b
      return copy
    })
    const frame = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 64 }), mutated)
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), fc.constantFrom("destroy", "console", "dump-block"), async (frames, sub) => {
        const socket = sub === "console" ? CONSOLE : VMMD
        const { run } = await withStub(socket, [afterCommand, ...frames.map((payload) => ({ _tag: "send" as const, payload }))], [sub, "foo"])
        expect([0, 117, 121, 124, 125]).toContain(run.code)
        expect(run.stderr).not.toContain("internal error")
      }),
      { numRuns: 60 }
    )
  })
})
