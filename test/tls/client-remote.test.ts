/**
 * albatross-client in remote mode, in-process, against the TLS endpoint on loopback and
 * stand-in daemons: the CA tooling (generate, CSRs, sign) builds a delegation, commands go
 * through it, and the exit codes of spec §11.6 come out.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Exit, Logger, LogLevel, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startEndpoint } from "../../src/daemons/tls-endpoint/main.js"
import { runClientCaptured } from "../cli/support/run-client.js"
import { startStubs, type Stubs } from "./stub-daemons.js"

let scope: Scope.CloseableScope
let stubs: Stubs
let work: string
let port: number
const cwd = process.cwd()

const client = (...args: Array<string>) => runClientCaptured(args, { tempDir: work })

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-remote-"))
  process.chdir(work)
  scope = Effect.runSync(Scope.make())
  stubs = await Effect.runPromise(Scope.extend(startStubs(), scope))
  const gen = await client("generate", "myca", "db")
  expect(gen.code).toBe(0)
  const address = await Effect.runPromise(
    Scope.extend(
      startEndpoint({
        caFile: "cacert.pem",
        certFile: "server.pem",
        keyFile: "server.key",
        tmpdir: stubs.tmpdir,
        listen: { _tag: "Tcp", ip: "127.0.0.1", port: 0 },
        handshakeTimeout: Duration.seconds(2)
      }),
      scope
    ).pipe(Effect.provide(Logger.minimumLogLevel(LogLevel.None)))
  )
  port = address!.port
}, 60_000)

afterAll(async () => {
  process.chdir(cwd)
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("remote mode with the root CA", () => {
  it("info at the root: the leaf is made on the fly, the reply printed, exit 0", async () => {
    const before = stubs.received.length
    const r = await client("info", "-d", `127.0.0.1:${port}`, "--ca", "cacert.pem", "--ca-key", "myca.key", "--server-ca", "cacert.pem")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("UnikernelInfo :")
    expect(stubs.received.slice(before).map((x) => [x.wire.header.name.toString(), x.wire.payload._tag])).toEqual([[":", "Command"]])
  })

  it("every key type works for the leaf", async () => {
    for (const keyType of ["rsa2048", "p256", "p384", "p521", "ed25519"]) {
      const r = await client("destroy", "web", "-d", `127.0.0.1:${port}`, "--ca", "cacert.pem", "--ca-key", "myca.key", "--server-ca", "cacert.pem", "--key-type", keyType)
      expect([keyType, r.code]).toEqual([keyType, 0])
    }
  }, 60_000)

  it("update asks for the unikernel's info through the endpoint", async () => {
    const before = stubs.received.length
    const r = await client("update", "web", "--http-host", "http://127.0.0.1:1", "-d", `127.0.0.1:${port}`, "--ca", "cacert.pem", "--ca-key", "myca.key", "--server-ca", "cacert.pem")
    expect(stubs.received.slice(before).map((x) => [x.wire.header.name.toString(), x.wire.payload._tag === "Command" && x.wire.payload.command._tag])).toEqual([
      [":web", "UnikernelInfo"]
    ])
    // the stand-in answers with a string, not a unikernel list: update stops there
    expect(r.code).not.toBe(0)
  })

  it("-d - prints the chain (leaf first) and exits 121", async () => {
    const r = await client("destroy", "web", "-d", "-", "--ca", "cacert.pem", "--ca-key", "myca.key", "--server-ca", "cacert.pem")
    expect(r.code).toBe(121)
    expect(r.stdout.match(/BEGIN CERTIFICATE/g)?.length).toBe(2)
  })

  it("a name below the root is a CLI error; mixing destinations too", async () => {
    const r = await client("destroy", "a:web", "-d", `127.0.0.1:${port}`, "--ca", "cacert.pem", "--ca-key", "myca.key", "--server-ca", "cacert.pem")
    expect(r.code).toBe(124)
    expect(r.stdout).toContain("non-empty path")
    const mixed = await client("info", "-d", `127.0.0.1:${port}`, "--socket", "/nonexistent")
    expect(mixed.code).toBe(124)
    expect(mixed.stdout + mixed.stderr).toContain("The options --csr, --destination, and --socket are mutually exclusive")
  })

  it("a key that does not match the CA is refused (124); a chain the server CA does not accept is 116; no endpoint is 122", async () => {
    const wrongKey = await client("info", "-d", `127.0.0.1:${port}`, "--ca", "cacert.pem", "--ca-key", "server.key", "--server-ca", "cacert.pem")
    expect(wrongKey.code).toBe(124)
    expect(wrongKey.stdout).toContain("Public key of certificate doesn't match private key")
    fs.mkdirSync("other")
    process.chdir("other")
    expect((await client("generate", "otherca", "db")).code).toBe(0)
    process.chdir(work)
    const chain = await client("info", "-d", `127.0.0.1:${port}`, "--ca", "other/cacert.pem", "--ca-key", "other/otherca.key", "--server-ca", "cacert.pem")
    expect(chain.code).toBe(116)
    const none = await client("info", "-d", "127.0.0.1:1", "--ca", "cacert.pem", "--ca-key", "myca.key", "--server-ca", "cacert.pem")
    expect(none.code).toBe(122)
  })
})

describe("delegation made with the CA tooling", () => {
  it("--csr, sign (policy) and a command under the sub-CA; an escalating CSR is refused", async () => {
    const csr = await client("add-policy", "alice", "2", "--mem", "1024", "--cpu", "0", "--csr")
    expect(csr.code).toBe(0)
    expect(fs.existsSync("alice.req") && fs.existsSync("alice.key")).toBe(true)
    const signed = await client("sign", "cacert.pem", "db", "myca.key", "alice.req")
    expect(signed.code).toBe(0)
    expect(fs.readFileSync("alice.pem", "latin1").match(/BEGIN CERTIFICATE/g)?.length).toBe(1)

    const before = stubs.received.length
    const r = await client("destroy", "web", "-d", `127.0.0.1:${port}`, "--ca", "alice.pem", "--ca-key", "alice.key", "--server-ca", "cacert.pem")
    expect(r.code).toBe(0)
    expect(stubs.received.slice(before).map((x) => x.wire.header.name.toString())).toEqual(["alice:", "alice:web"])

    // the sub-CA's policy is checked before anything is signed or sent
    const big = await client("add-policy", "team", "3", "-d", `127.0.0.1:${port}`, "--ca", "alice.pem", "--ca-key", "alice.key", "--server-ca", "cacert.pem")
    expect(big.code).toBe(124)
    expect(big.stdout).toContain("policy above allows 2 unikernels, which is fewer than 3")

    // remote policy at the delegation's root and at a sub-path
    const p1 = await client("policy", "-d", `127.0.0.1:${port}`, "--ca", "alice.pem", "--ca-key", "alice.key", "--server-ca", "cacert.pem")
    expect(p1.code).toBe(0)
    const p2 = await client("policy", "-p", "x:y", "-d", `127.0.0.1:${port}`, "--ca", "alice.pem", "--ca-key", "alice.key", "--server-ca", "cacert.pem")
    expect(p2.code).toBe(0)
    expect(stubs.received.slice(-1)[0]!.wire.header.name.toString()).toBe("alice:x:y:")
  }, 60_000)

  it("certificate CERT KEY sends the command of a signed leaf; a refused request exits 117 with the reason", async () => {
    const dbcsr = await client("destroy", "db1", "--csr")
    expect(dbcsr.stdout).toMatch(/^creating new ed25519 key .*db1.key\n$/)
    expect(dbcsr.code).toBe(0)
    const s1 = await client("sign", "cacert.pem", "db", "myca.key", "db1.req")
    expect(s1.stdout).toContain("signing certificate with subject CN=db1")
    expect(s1.code).toBe(0)
    const before = stubs.received.length
    const r = await client("certificate", "db1.pem", "db1.key", "-d", `127.0.0.1:${port}`, "--server-ca", "cacert.pem")
    expect(r.stdout).toBe("host [unikernel: :db1]: success: UnikernelDestroy :db1\n")
    expect(r.code).toBe(0)
    expect(stubs.received.slice(before).map((x) => x.wire.header.name.toString())).toEqual([":db1"])
    // a command the endpoint does not allow in a leaf
    const sa = await client("remove-policy", "-p", "bob", "--csr")
    expect(sa.stdout).toContain("creating new")
    expect(sa.code).toBe(0)
    const leafName = "bob.req"
    expect((await client("sign", "cacert.pem", "db", "myca.key", leafName)).code).toBe(0)
    const refused = await client("certificate", leafName.replace(".req", ".pem"), leafName.replace(".req", ".key"), "-d", `127.0.0.1:${port}`, "--server-ca", "cacert.pem")
    expect(refused.code).toBe(117)
    expect(refused.stdout + refused.stderr).toContain("unexpected command")
  }, 60_000)
})
