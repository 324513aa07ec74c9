/**
 * Delegation end to end: the built albatrossd (fake tender) and albatross-console as child
 * processes, the TLS endpoint, and albatross-client in remote mode with a leaf signed by a
 * second-level sub-CA (root -> alice -> team). The endpoint installs the delegated policies,
 * the daemons do the work, and the client sees names relative to its delegation.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Exit, Logger, LogLevel, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEndpoint } from "../../src/daemons/tls-endpoint/main.js"
import { toPem } from "../../src/tls/certs.js"
import { pidsMentioning, request, requireBuild, type RunningDaemon, startDaemon, waitFor } from "../albatrossd/e2e-support.js"
import { runClientCaptured } from "../cli/support/run-client.js"
import { installFakeTender } from "../fixtures/fake-tender/install.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { type Identity, keyPem, makeIntermediate, makeRoot, makeServer, pemChain, policy } from "./pki.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-tls-e2e-"))
const tmpdir = path.join(root, "run")
const dbdir = path.join(root, "db")
const consoleBin = path.resolve(__dirname, "../../dist/bin/albatross-console.js")
let daemon: RunningDaemon | undefined
let consoleChild: ChildProcess | undefined
let scope: Scope.CloseableScope
let port: number
let ca: Identity

const remote = () => [
  "-d", `127.0.0.1:${port}`,
  "--ca", path.join(root, "team-chain.pem"),
  "--ca-key", path.join(root, "team.key"),
  "--server-ca", path.join(root, "cacert.pem")
]
const client = (...args: Array<string>) => runClientCaptured(args, { tempDir: root })

beforeAll(async () => {
  requireBuild()
  for (const d of ["util", "fifo"]) fs.mkdirSync(path.join(tmpdir, d), { recursive: true })
  fs.mkdirSync(path.join(dbdir, "block"), { recursive: true })
  installFakeTender(dbdir, ["solo5-hvt"])
  consoleChild = spawn(process.execPath, [consoleBin, "--tmpdir", tmpdir], { stdio: ["ignore", "ignore", "pipe"] })
  let consoleLog = ""
  consoleChild.stderr!.on("data", (c: Buffer) => (consoleLog += c.toString()))
  await waitFor("albatross-console to listen", () => consoleLog.includes("listening on"))
  daemon = await startDaemon(["--tmpdir", tmpdir, "--dbdir", dbdir], process.env)

  ca = await makeRoot("root")
  const alice = await makeIntermediate(ca, "alice", policy(4, 1024, [0], [], 100))
  const team = await makeIntermediate(alice, "team", policy(2, 256, [0], [], 50))
  const server = await makeServer(ca)
  fs.writeFileSync(path.join(root, "cacert.pem"), toPem(ca.cert))
  fs.writeFileSync(path.join(root, "server.pem"), toPem(server.cert))
  fs.writeFileSync(path.join(root, "server.key"), await keyPem(server))
  fs.writeFileSync(path.join(root, "team-chain.pem"), pemChain([team.cert, alice.cert]))
  fs.writeFileSync(path.join(root, "team.key"), await keyPem(team))
  fs.writeFileSync(path.join(root, "web.hvt"), solo5Image({ target: "hvt", abi: 2, devices: [] }))

  scope = Effect.runSync(Scope.make())
  const address = await Effect.runPromise(
    Scope.extend(
      startEndpoint({
        caFile: path.join(root, "cacert.pem"),
        certFile: path.join(root, "server.pem"),
        keyFile: path.join(root, "server.key"),
        tmpdir,
        listen: { _tag: "Tcp", ip: "127.0.0.1", port: 0 },
        handshakeTimeout: Duration.seconds(5)
      }),
      scope
    ).pipe(Effect.provide(Logger.minimumLogLevel(LogLevel.None)))
  )
  port = address!.port
}, 60_000)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  daemon?.child.kill("SIGKILL")
  consoleChild?.kill("SIGKILL")
  for (const pid of pidsMentioning(root)) process.kill(pid, "SIGKILL")
})

describe("delegation through two sub-CAs against the real daemons", () => {
  it("create, info, policy, destroy as alice:team, with names relative to the delegation", async () => {
    const created = await client("create", "web", path.join(root, "web.hvt"), "--mem", "64", ...remote())
    expect(created.stdout).toContain("created unikernel")
    expect(created.code).toBe(0)

    // albatrossd itself sees the unikernel and the two policies at their full paths
    const local = await request(tmpdir, ":", { _tag: "UnikernelInfo" })
    if (local.payload._tag !== "Success" || local.payload.success._tag !== "UnikernelInfo") throw new Error("no info")
    expect(local.payload.success.unikernels.map((u) => u.name.toString())).toEqual(["alice:team:web"])
    const policies = await request(tmpdir, ":", { _tag: "PolicyInfo" })
    if (policies.payload._tag !== "Success" || policies.payload.success._tag !== "Policies") throw new Error("no policies")
    expect(policies.payload.success.policies.map((p) => p.name.toString()).sort()).toEqual([":", "alice:", "alice:team:"])

    // through the endpoint the names are relative to alice:team
    const info = await client("info", ...remote())
    expect(info.code).toBe(0)
    // the header carries the derived name (as the reference's endpoint does), the list is relative
    expect(info.stdout).toMatch(/^host \[unikernel: alice:team:\]: \[unikernel: :web\]/)
    expect(info.stdout).not.toContain("alice:team:web")

    const pol = await client("policy", ...remote())
    expect(pol.code).toBe(0)
    expect(pol.stdout).toContain("2 unikernels")

    // the delegated policy is enforced by albatrossd: too much memory is refused
    const big = await client("create", "big", path.join(root, "web.hvt"), "--mem", "512", ...remote())
    expect(big.code).toBe(124) // refused by the client's pre-check against the sub-CA's policy
    expect(big.stdout).toContain("512 MB memory assigned to unikernel exceeds policy (256MB)")

    const destroyed = await client("destroy", "web", ...remote())
    expect(destroyed.stdout).toContain("destroyed unikernel")
    expect(destroyed.code).toBe(0)
    await waitFor("unikernel gone", () => pidsMentioning(path.join(tmpdir, "alice:team:web.img")).length === 0)
  }, 60_000)
})
