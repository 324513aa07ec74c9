/**
 * The built albatross-tls-endpoint (dist/): command-line checks of spec §10.1 and one session in
 * `--inetd` mode over a socket given as stdin.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as tls from "node:tls"
import { fileURLToPath } from "node:url"
import { Effect, Either, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { toPem } from "../../src/tls/certs.js"
import { FrameDecoder } from "../../src/wire/framing.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { type Identity, keyPem, makeLeaf, makeRoot, makeServer, pemChain } from "./pki.js"
import { startStubs, type Stubs } from "./stub-daemons.js"

const bin = fileURLToPath(new URL("../../dist/bin/albatross-tls-endpoint.js", import.meta.url))
let scope: Scope.CloseableScope
let stubs: Stubs
let root: Identity
let dir: string

beforeAll(async () => {
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`)
  scope = Effect.runSync(Scope.make())
  stubs = await Effect.runPromise(Scope.extend(startStubs(), scope))
  dir = stubs.tmpdir
  root = await makeRoot("root")
  const other = await makeRoot("other")
  const server = await makeServer(root)
  fs.writeFileSync(path.join(dir, "ca.pem"), toPem(root.cert))
  fs.writeFileSync(path.join(dir, "two.pem"), pemChain([root.cert, other.cert]))
  fs.writeFileSync(path.join(dir, "server.pem"), toPem(server.cert))
  fs.writeFileSync(path.join(dir, "server.key"), await keyPem(server))
}, 60_000)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const run = (args: Array<string>, stdin: "ignore" | net.Socket = "ignore"): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: [stdin, "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("close", (code) => resolve({ code, stderr }))
  })

describe("albatross-tls-endpoint command line", () => {
  it("the CA file must hold exactly one certificate", async () => {
    const r = await run(["two.pem", "server.pem", "server.key", "--tmpdir", dir, "--port", "0"])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("expect single ca as cacert")
  })

  it("--port and --systemd-socket-activation exclude each other; --inetd needs -q", async () => {
    const r = await run(["ca.pem", "server.pem", "server.key", "--tmpdir", dir, "--port", "1025", "--systemd-socket-activation"])
    expect(r.stderr).toContain("Options --port and --systemd-socket-activation are not compatible")
    expect(r.code).not.toBe(0)
    expect((await run(["ca.pem", "server.pem", "server.key", "--tmpdir", dir, "--inetd"])).code).toBe(3)
  })

  it("--systemd-socket-activation serves on fd 3 when LISTEN_PID/LISTEN_FDS are ours", async () => {
    // perl (always present on Debian) binds a socket, moves it to fd 3, sets the variables for
    // its own pid and execs the endpoint, as systemd does
    const perl =
      '$^F = 3; use Socket; use POSIX; socket(S, PF_INET, SOCK_STREAM, 0) or die; setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1);' +
      'bind(S, sockaddr_in(0, inet_aton("127.0.0.1"))) or die; listen(S, 10) or die; my ($port) = sockaddr_in(getsockname(S));' +
      '$| = 1; print "$port\\n"; POSIX::dup2(fileno(S), 3); $ENV{LISTEN_FDS} = 1; $ENV{LISTEN_PID} = $$; exec @ARGV or die'
    const child = spawn("perl", ["-e", perl, process.execPath, bin, "ca.pem", "server.pem", "server.key", "--tmpdir", dir, "--systemd-socket-activation"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))))
      let log = ""
      child.stderr!.on("data", (d: Buffer) => (log += d.toString()))
      const leaf = await makeLeaf(root, "web", { _tag: "UnikernelDestroy" })
      const frames: Array<Uint8Array> = []
      const socket = tls.connect({
        host: "127.0.0.1", port, cert: toPem(leaf.cert), key: await keyPem(leaf), ca: toPem(root.cert),
        minVersion: "TLSv1.3", checkServerIdentity: () => undefined
      })
      const decoder = new FrameDecoder()
      socket.on("data", (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) if (f !== null) frames.push(Uint8Array.from(f))
      })
      await new Promise<void>((r) => {
        socket.on("close", () => r())
        socket.on("error", () => r())
      })
      expect(frames.length).toBe(1)
      expect(Either.getOrThrow(decodeWireSync(frames[0]!)).header.name.toString()).toBe(":web")
      expect(log).toContain("listening on systemd socket")
    } finally {
      child.kill("SIGKILL")
    }
  }, 30_000)

  it("--inetd serves one session on the socket it is given as stdin", async () => {
    const leaf = await makeLeaf(root, "web", { _tag: "UnikernelDestroy" })
    const server = net.createServer()
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const port = (server.address() as net.AddressInfo).port
    const accepted = new Promise<net.Socket>((r) => server.once("connection", r))
    const frames: Array<Uint8Array> = []
    const clientDone = (async () => {
      const socket = tls.connect({
        host: "127.0.0.1", port, cert: toPem(leaf.cert), key: await keyPem(leaf), ca: toPem(root.cert),
        minVersion: "TLSv1.3", checkServerIdentity: () => undefined
      })
      const decoder = new FrameDecoder()
      socket.on("data", (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) if (f !== null) frames.push(Uint8Array.from(f))
      })
      await new Promise<void>((r) => {
        socket.on("close", () => r())
        socket.on("error", () => r())
      })
    })()
    const raw = await accepted
    const result = await run(["ca.pem", "server.pem", "server.key", "--tmpdir", dir, "--inetd", "-q"], raw)
    await clientDone
    server.close()
    expect(result.code).toBe(0)
    expect(frames.length).toBe(1)
    const reply = Either.getOrThrow(decodeWireSync(frames[0]!))
    expect(reply.header.name.toString()).toBe(":web")
    expect(reply.payload).toEqual({ _tag: "Success", success: { _tag: "String", message: "UnikernelDestroy :web" } })
  }, 30_000)
})
