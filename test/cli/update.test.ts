/** `update` (spec §11.7) against a stub daemon and a builder-web stand-in on loopback. */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Either } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { UnikernelInfo } from "../../src/domain/unikernel.js"
import type { Wire } from "../../src/domain/wire.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { runClientCaptured } from "./support/run-client.js"
import { solo5Image } from "./support/solo5-image.js"
import { type ScriptStep, StubDaemons } from "./support/stub-daemon.js"
import { encode, nameOf } from "./support/transcripts.js"

const digest = "ab".repeat(32)
const info: UnikernelInfo = {
  typ: "solo5",
  failBehaviour: { _tag: "Restart", exitCodes: [3] },
  startup: 7,
  cpuids: [1],
  memory: 64,
  blockDevices: [{ unikernelDevice: "storage", hostDevice: "disk9", sectorSize: 4096, size: 10 }],
  bridges: [{ unikernelDevice: "service", hostDevice: "br0", mac: "00:80:41:01:02:03" }],
  argv: ["--x=1"],
  digest: new Uint8Array(Buffer.from(digest, "hex")),
  started: new Date("2026-01-01T00:00:00Z"),
  numcpus: 1,
  linuxBootPartition: null
}

let root: string
let server: http.Server
let base: string
/** What the repository says: build of the running digest, latest build, binary. */
const repo = { current: "uuid-1", latest: "uuid-2", binary: solo5Image([{ kind: "net", name: "service" }, { kind: "block", name: "storage" }]) }

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-client-update-"))
  server = http.createServer((req, res) => {
    const url = req.url ?? ""
    if (url === `/hash?sha256=${digest}`) res.writeHead(302, { location: `/job/hello/build/${repo.current}/` }).end()
    else if (url === "/job/hello/build/latest") res.writeHead(302, { location: `/job/hello/build/${repo.latest}` }).end()
    else if (url === `/job/hello/build/${repo.latest}/main-binary`) res.writeHead(200).end(Buffer.from(repo.binary))
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  fs.rmSync(root, { recursive: true, force: true })
})

const reply = (payload: Wire["payload"]): ScriptStep => ({
  _tag: "send",
  payload: encode({ header: { version: 5, sequence: 0n, name: nameOf(":hello") }, payload })
})
const infoReply = reply({ _tag: "Success", success: { _tag: "UnikernelInfo", unikernels: [{ name: nameOf(":hello"), info }] } })
const first: ScriptStep = { _tag: "await", frames: 1 }

const update = async (connections: ReadonlyArray<ReadonlyArray<ScriptStep>>, ...args: Array<string>) => {
  const dir = fs.mkdtempSync(path.join(root, "run-"))
  const stub = await StubDaemons.start(dir, connections.map((steps) => ({ socket: "util/vmmd.sock", steps })))
  const run = await runClientCaptured(["update", "hello", "--tmpdir", dir, ...args], { tempDir: dir })
  await stub.close()
  return { run, stub }
}

describe("update", () => {
  it("reports an up-to-date unikernel", async () => {
    repo.latest = "uuid-1"
    const { run } = await update([[first, infoReply]], "--http-host", `${base}/`)
    repo.latest = "uuid-2"
    expect(run).toMatchObject({ code: 0, stdout: "already up to date\n" })
  })

  it("--dryrun stops after showing where to compare", async () => {
    const { run, stub } = await update([[first, infoReply]], "--http-host", base, "--dry-run")
    expect(run).toMatchObject({ code: 0, stdout: `compare at ${base}/compare/uuid-1/uuid-2\n` })
    expect(stub.received).toHaveLength(1)
  })

  it("replaces the unikernel with the latest build, keeping its settings and MACs", async () => {
    const ok = reply({ _tag: "Success", success: { _tag: "String", message: "created unikernel" } })
    const { run, stub } = await update([[first, infoReply], [first, ok]], "--http-host", base)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toBe(`compare at ${base}/compare/uuid-1/uuid-2\nhost [unikernel: :hello]: success: created unikernel\n`)
    const sent = Either.getOrThrow(decodeWireSync(stub.received[1]!.frames[0]!))
    expect(sent.payload).toMatchObject({
      _tag: "Command",
      command: {
        _tag: "UnikernelForceCreate",
        config: {
          typ: "solo5",
          compressed: false,
          failBehaviour: { _tag: "Restart", exitCodes: [3] },
          startup: 7,
          addName: true,
          cpuids: [1],
          memory: 64,
          blockDevices: [{ name: "storage", device: "disk9", sectorSize: 4096 }],
          bridges: [{ netif: "service", bridge: "br0", mac: "00:80:41:01:02:03" }],
          argv: ["--x=1"]
        }
      }
    })
  })

  it("fails with 118 when the repository does not know the image, 125 on a manifest mismatch", async () => {
    const saved = repo.current
    const unknown = await update([[first, reply({ _tag: "Success", success: { _tag: "UnikernelInfo", unikernels: [{ name: nameOf(":hello"), info: { ...info, digest: new Uint8Array(32) } }] } })]], "--http-host", base)
    expect(unknown.run.code).toBe(118)
    expect(unknown.run.stdout).toBe("albatross-client: [ERROR] error in HTTP interaction: couldn't find the unikernel in the repository\n")
    repo.current = saved
    const binary = repo.binary
    repo.binary = solo5Image([])
    const mismatch = await update([[first, infoReply]], "--http-host", base)
    repo.binary = binary
    expect(mismatch.run.code).toBe(125)
    expect(mismatch.run.stdout).toContain("manifest failed: specified block device(s) does not match with manifest")
  })

  it("refuses a reply that is not exactly one Solo5 unikernel (121) and a malformed --http-host (124)", async () => {
    const none = await update([[first, reply({ _tag: "Success", success: { _tag: "UnikernelInfo", unikernels: [] } })]], "--http-host", base)
    expect(none.run.code).toBe(121)
    expect(none.run.stdout).toBe("albatross-client: [ERROR] unexpected reply: host [unikernel: :hello]: no unikernels\n")
    const dir = fs.mkdtempSync(path.join(root, "bad-"))
    const bad = await runClientCaptured(["update", "hello", "--http-host", "ftp://x", "--tmpdir", dir], { tempDir: dir })
    expect(bad.code).toBe(124)
    expect(bad.stderr).toContain("expected http[s]://hostname")
  })
})
