/** The built albatross-client binary: exit statuses are the process's own. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runBinary } from "./support/run-client.js"
import { StubDaemons } from "./support/stub-daemon.js"
import { encode, nameOf } from "./support/transcripts.js"

let root: string
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-client-binary-"))
})
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

describe("dist/bin/albatross-client.js", () => {
  it("--version exits 0", async () => {
    const r = await runBinary(["--version"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^version \S+ protocol version 5\n$/)
  })

  it("--socket - exits 121, bad arguments 124, no daemon 122", async () => {
    const out = await runBinary(["destroy", "foo", "--socket", "-"])
    expect(out.code).toBe(121)
    expect(out.stdout.startsWith("out:\n000000  ")).toBe(true)
    expect((await runBinary(["destroy"])).code).toBe(124)
    expect((await runBinary(["info", "--tmpdir", root])).code).toBe(122)
  })

  it("ends quietly with the SIGPIPE status when its reader goes away", async () => {
    const { spawn } = await import("node:child_process")
    const { fileURLToPath } = await import("node:url")
    const line = (i: number) =>
      encode({
        header: { version: 5, sequence: 0n, name: nameOf(":foo") },
        payload: { _tag: "Data", data: { _tag: "ConsoleData", timestamp: new Date(0), line: Buffer.from(`line ${i} ${"x".repeat(200)}`) } }
      })
    const dir = fs.mkdtempSync(path.join(root, "pipe-"))
    const stub = await StubDaemons.start(dir, [
      {
        socket: "util/console.sock",
        steps: [
          { _tag: "await", frames: 1 },
          ...Array.from({ length: 3000 }, (_, i) => ({ _tag: "send" as const, payload: line(i) }))
        ]
      }
    ])
    const bin = fileURLToPath(new URL("../../dist/bin/albatross-client.js", import.meta.url))
    const child = spawn(process.execPath, [bin, "console", "foo", "--tmpdir", dir], { stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.stdout.once("data", () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))
    await stub.close()
    expect(code).toBe(141)
    expect(stderr).toBe("")
  })

  it("talks to a daemon and writes dumps under $TMPDIR", async () => {
    const image = new Uint8Array([1, 2, 3, 4])
    const stub = await StubDaemons.start(root, [
      {
        socket: "util/vmmd.sock",
        steps: [
          { _tag: "await", frames: 1 },
          {
            _tag: "send",
            payload: encode({
              header: { version: 5, sequence: 0n, name: nameOf(":foo") },
              payload: { _tag: "Success", success: { _tag: "UnikernelImage", compressed: false, image } }
            })
          }
        ]
      }
    ])
    const dumps = fs.mkdtempSync(path.join(root, "dumps-"))
    const r = await runBinary(["get", "foo", "--tmpdir", root], { TMPDIR: dumps })
    await stub.close()
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const files = fs.readdirSync(dumps)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^:foo\.\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-00:00$/)
    expect([...fs.readFileSync(path.join(dumps, files[0]!))]).toEqual([1, 2, 3, 4])
    expect(r.stdout).toBe(`host [unikernel: :foo]: image (compression false) 4 bytes\ndumped image to ${path.join(dumps, files[0]!)}\n`)
  })
})
