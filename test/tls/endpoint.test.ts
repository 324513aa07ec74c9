/**
 * albatross-tls-endpoint over real TLS on loopback, with real certificate chains, against
 * stand-in daemons that record what reaches them: delegation through two levels of
 * intermediates, every reply mode, and the attack list (each refused with a Failure, nothing
 * forwarded).
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as tls from "node:tls"
import { Duration, Effect, Either, Exit, Logger, LogLevel, Option, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Command } from "../../src/domain/command.js"
import { LABEL_ERROR } from "../../src/domain/name.js"
import type { Wire } from "../../src/domain/wire.js"
import { servedChain } from "../../src/daemons/tls-endpoint/credentials.js"
import { startEndpoint } from "../../src/daemons/tls-endpoint/main.js"
import { connectRemote } from "../../src/cli/remote/connect.js"
import { type Certificate, leafProfile, toPem, wholeSeconds } from "../../src/tls/certs.js"
import { x509 } from "../../src/tls/x509.js"
import { FrameDecoder, MAX_FRAME_DEFAULT } from "../../src/wire/framing.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { type Identity, keyPem, makeIntermediate, makeLeaf, makeRoot, makeServer, pemChain, policy } from "./pki.js"
import { POLICY_REFUSED_MEMORY, startStubs, type Stubs } from "./stub-daemons.js"

const quiet = Logger.minimumLogLevel(LogLevel.None)
let scope: Scope.CloseableScope
let stubs: Stubs
let port: number
let root: Identity
let alice: Identity
let team: Identity
let dir: string

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  stubs = await Effect.runPromise(Scope.extend(startStubs(), scope))
  dir = stubs.tmpdir
  root = await makeRoot("root")
  const server = await makeServer(root)
  fs.writeFileSync(path.join(dir, "ca.pem"), toPem(root.cert))
  fs.writeFileSync(path.join(dir, "server.pem"), toPem(server.cert))
  fs.writeFileSync(path.join(dir, "server.key"), await keyPem(server))
  const address = await Effect.runPromise(
    Scope.extend(
      startEndpoint({
        caFile: path.join(dir, "ca.pem"),
        certFile: path.join(dir, "server.pem"),
        keyFile: path.join(dir, "server.key"),
        tmpdir: dir,
        listen: { _tag: "Tcp", ip: "127.0.0.1", port: 0 },
        handshakeTimeout: Duration.seconds(1),
        idleTimeout: Duration.seconds(5)
      }),
      scope
    ).pipe(Effect.provide(quiet))
  )
  port = address!.port
  alice = await makeIntermediate(root, "alice", policy(8, 4096, [0, 1, 2], ["service", "other"], 1000))
  team = await makeIntermediate(alice, "team", policy(2, 1024, [1], ["service"], 100))
}, 60_000)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

interface Exchange {
  readonly wires: Array<Wire>
}

/** One session: connect with `chain` (leaf first), send `frames` raw after the handshake, read every reply. */
const session = async (identity: Identity, chain: ReadonlyArray<Certificate>, send: Array<Uint8Array | "end"> = []): Promise<Exchange> => {
  const exchange = Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* connectRemote({
        host: "127.0.0.1",
        port,
        certChainPem: pemChain([identity.cert, ...chain]),
        keyPem: yield* Effect.promise(() => keyPem(identity)),
        serverCaPem: toPem(root.cert)
      })
      for (const s of send) yield* s === "end" ? conn.writeEnd : conn.writeFrame(s)
      const wires: Array<Wire> = []
      for (;;) {
        const next = yield* Effect.either(conn.readWire)
        if (Either.isLeft(next) || Option.isNone(next.right)) break
        wires.push(next.right.value)
      }
      return { wires }
    })
  )
  return Effect.runPromise(exchange)
}

/** A session writing raw bytes after the handshake; every reply frame decoded. */
const rawSession = async (identity: Identity, chain: ReadonlyArray<Certificate>, bytes: Uint8Array): Promise<Array<Wire>> => {
  const socket = tls.connect({
    host: "127.0.0.1", port, cert: pemChain([identity.cert, ...chain]), key: await keyPem(identity), ca: toPem(root.cert),
    minVersion: "TLSv1.3", checkServerIdentity: () => undefined
  })
  const decoder = new FrameDecoder(MAX_FRAME_DEFAULT)
  const frames: Array<Uint8Array> = []
  await new Promise<void>((resolve) => {
    socket.once("secureConnect", () => socket.write(bytes))
    socket.on("data", (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) if (f !== null) frames.push(Uint8Array.from(f))
    })
    socket.on("close", () => resolve())
    socket.on("error", () => resolve())
  })
  return frames.map((f) => Either.getOrThrow(decodeWireSync(f)))
}

const onlyFailure = (e: Exchange): string => {
  expect(e.wires.length).toBe(1)
  const p = e.wires[0]!.payload
  if (p._tag !== "Failure") throw new Error(`expected a Failure, got ${p._tag}`)
  return p.message
}

const leafFor = (issuer: Identity, cn: string | undefined, command: Command, options = {}) => makeLeaf(issuer, cn, command, options)
const info: Command = { _tag: "UnikernelInfo" }

describe("delegation through two intermediates", () => {
  it("installs the policies deepest first, then sends the command under the delegated name; replies carry the derived name", async () => {
    const before = stubs.received.length
    const leaf = await leafFor(team, "web", { _tag: "UnikernelDestroy" })
    const e = await session(leaf, [team.cert, alice.cert])
    const got = stubs.received.slice(before)
    expect(got.map((r) => [r.wire.header.name.toString(), r.wire.payload._tag === "Command" ? r.wire.payload.command._tag : "?"])).toEqual([
      ["alice:team:", "PolicyAdd"],
      ["alice:", "PolicyAdd"],
      ["alice:team:web", "UnikernelDestroy"]
    ])
    const seqs = got.map((r) => r.wire.header.sequence)
    expect(seqs[1]! - seqs[0]!).toBe(1n)
    expect(seqs[2]! - seqs[1]!).toBe(1n)
    const policyOf = (i: number) => (got[i]!.wire.payload as { command: { policy: unknown } }).command.policy
    expect(policyOf(0)).toEqual(policy(2, 1024, [1], ["service"], 100))
    expect(policyOf(1)).toEqual(policy(8, 4096, [0, 1, 2], ["other", "service"], 1000))
    expect(e.wires.length).toBe(1)
    expect(e.wires[0]!.header).toEqual({ version: 5, sequence: 0n, name: got[2]!.wire.header.name })
    expect(e.wires[0]!.payload).toEqual({ _tag: "Success", success: { _tag: "String", message: "UnikernelDestroy alice:team:web" } })
  })

  it("a '.' leaf acts on the delegation's path; the root CA sent along changes nothing", async () => {
    const before = stubs.received.length
    const leaf = await leafFor(team, ".", info)
    await session(leaf, [team.cert, alice.cert, root.cert])
    expect(stubs.received.slice(before).map((r) => r.wire.header.name.toString())).toEqual(["alice:team:", "alice:", "alice:team:"])
  })

  it("create with an empty image takes the image from the chunk stream", async () => {
    const before = stubs.received.length
    const config = {
      typ: "solo5" as const, compressed: false, image: new Uint8Array(0), failBehaviour: { _tag: "Quit" as const }, startup: null,
      addName: true, cpuids: [1], memory: 64, blockDevices: [], bridges: [], argv: null, numcpus: 1, linuxBootPartition: null
    }
    const leaf = await leafFor(team, "web", { _tag: "UnikernelCreate", config })
    const e = await session(leaf, [team.cert, alice.cert], [new Uint8Array(1000).fill(7), new Uint8Array(24).fill(8), "end"])
    const cmd = stubs.received.slice(before)[2]!.wire.payload
    if (cmd._tag !== "Command" || cmd.command._tag !== "UnikernelCreate") throw new Error("no create")
    expect(cmd.command.config.image.length).toBe(1024)
    expect(cmd.command.config.image[999]).toBe(7)
    expect(cmd.command.config.image[1000]).toBe(8)
    expect(e.wires[0]!.payload).toEqual({ _tag: "Success", success: { _tag: "String", message: "created alice:team:web image 1024 bytes" } })
  })

  it("block data is relayed chunk by chunk and ended with the zero frame", async () => {
    const before = stubs.received.length
    const leaf = await leafFor(team, "data", { _tag: "BlockSet", compressed: false })
    const e = await session(leaf, [team.cert, alice.cert], [new Uint8Array([1, 2]), new Uint8Array([3]), "end"])
    expect(stubs.received.slice(before)[2]!.chunks).toEqual([new Uint8Array([1, 2]), new Uint8Array([3])])
    expect(e.wires[0]!.payload).toEqual({ _tag: "Success", success: { _tag: "String", message: "set 3 bytes" } })
  })

  it("a dump is relayed message by message and ends with the end-of-data message as the final reply", async () => {
    const leaf = await leafFor(team, "data", { _tag: "BlockDump", level: 0 })
    const e = await session(leaf, [team.cert, alice.cert])
    const plain = (d: { _tag: string; data?: Uint8Array | null }) => ({ ...d, data: d.data == null ? d.data : Uint8Array.from(d.data) })
    expect(e.wires.map((w) => (w.payload._tag === "Data" ? plain(w.payload.data as { _tag: string; data?: Uint8Array | null }) : w.payload._tag))).toEqual([
      "Success",
      { _tag: "BlockData", data: new Uint8Array([1, 2, 3]) },
      { _tag: "BlockData", data: new Uint8Array([4]) },
      { _tag: "BlockData", data: null }
    ])
    expect(e.wires[3]!.header.sequence).toBe(0n)
  })

  it("console subscription goes to the console daemon, without policies; its end is reported as the reference does", async () => {
    const before = stubs.received.length
    const leaf = await leafFor(team, "web", { _tag: "ConsoleSubscribe", query: { _tag: "Count", count: 20n } })
    const e = await session(leaf, [team.cert, alice.cert])
    expect(stubs.received.slice(before).map((r) => [r.service, r.wire.header.name.toString()])).toEqual([["console", "alice:team:web"]])
    expect(e.wires.length).toBe(4)
    expect(e.wires[3]!.payload).toEqual({ _tag: "Failure", message: "exception while reading from fd" })
  })

  it("stats subscription goes to the stats daemon", async () => {
    const before = stubs.received.length
    const leaf = await leafFor(team, ".", { _tag: "StatsSubscribe" })
    await session(leaf, [team.cert, alice.cert])
    expect(stubs.received.slice(before).map((r) => r.service)).toEqual(["stats"])
  })

  it("remote policy works at the delegation's root and at a multi-label sub-path (fix of spec §11.3)", async () => {
    for (const [cn, expected] of [
      [".", "alice:team:"],
      ["sub:deeper", "alice:team:sub:deeper:"],
      ["sub", "alice:team:sub:"]
    ] as const) {
      const before = stubs.received.length
      const leaf = await leafFor(team, cn, { _tag: "PolicyInfo" })
      const e = await session(leaf, [team.cert, alice.cert])
      expect(stubs.received.slice(before).at(-1)!.wire.header.name.toString()).toBe(expected)
      expect(e.wires[0]!.payload._tag).toBe("Success")
    }
  })

  it("a policy refused by vmmd ends the request with vmmd's reason", async () => {
    const odd = await makeIntermediate(root, "odd", policy(1, POLICY_REFUSED_MEMORY, [0], [], null))
    const leaf = await leafFor(odd, ".", info)
    expect(onlyFailure(await session(leaf, [odd.cert]))).toBe("policy refused by vmmd")
  })
})

describe("the server's certificate chain", () => {
  it("a lone server certificate issued by the CA is served with the CA, as OpenSSL's automatic chain did; others as they are", async () => {
    const leaf = await leafFor(root, ".", info)
    const socket = tls.connect({
      host: "127.0.0.1", port, cert: pemChain([leaf.cert]), key: await keyPem(leaf), ca: toPem(root.cert),
      minVersion: "TLSv1.3", checkServerIdentity: () => undefined
    })
    const served = await new Promise<Array<string>>((resolve, reject) => {
      socket.once("secureConnect", () => {
        const chain: Array<string> = []
        for (let c = socket.getPeerX509Certificate(); c !== undefined && chain.length < 5; c = c.issuerCertificate) chain.push(c.subject)
        socket.destroy()
        resolve(chain)
      })
      socket.once("error", reject)
    })
    expect(served).toEqual(["CN=server", "CN=root"])
    const serverPem = fs.readFileSync(path.join(dir, "server.pem"), "latin1")
    const caPem = toPem(root.cert)
    expect(servedChain(serverPem, 1, caPem)).toBe(`${serverPem.trimEnd()}\n${caPem}`)
    const other = await makeRoot("other")
    const otherServer = toPem((await makeServer(other)).cert)
    expect(servedChain(otherServer, 1, caPem)).toBe(otherServer)
    expect(servedChain(`${serverPem}${caPem}`, 2, caPem)).toBe(`${serverPem}${caPem}`)
    expect(servedChain(caPem, 1, caPem)).toBe(caPem)
  })
})

describe("attacks: each refused with a Failure, nothing reaches a daemon", () => {
  const refused = async (identity: Identity, chain: ReadonlyArray<Certificate>, send: Array<Uint8Array | "end"> = []) => {
    const before = stubs.received.length
    const message = onlyFailure(await session(identity, chain, send))
    expect(stubs.received.length).toBe(before)
    return message
  }

  it("a chain to another CA", async () => {
    const other = await makeRoot("root")
    const leaf = await leafFor(other, ".", info)
    expect(await refused(leaf, [])).toMatch(/^certificate verification failed/)
  })

  it("an expired leaf and a not yet valid leaf", async () => {
    const now = Date.now()
    const expired = await leafFor(team, ".", info, { notBefore: wholeSeconds(now - 3_600_000), notAfter: wholeSeconds(now - 60_000) })
    expect(await refused(expired, [team.cert, alice.cert])).toMatch(/expired/)
    const early = await leafFor(team, ".", info, { notBefore: wholeSeconds(now + 3_600_000), notAfter: wholeSeconds(now + 7_200_000) })
    expect(await refused(early, [team.cert, alice.cert])).toMatch(/not yet valid/)
  })

  it("a chain of 10 certificates", async () => {
    const chain: Array<Identity> = []
    let issuer = root
    for (let i = 0; i < 9; i++) {
      issuer = await makeIntermediate(issuer, `l${i}`, policy(1, 64, [0], [], null))
      chain.unshift(issuer)
    }
    const leaf = await leafFor(issuer, ".", info)
    expect(await refused(leaf, chain.map((c) => c.cert))).toBe("certificate chain too long")
    // one intermediate less is accepted
    const short = await leafFor(chain[1]!, ".", info)
    const e = await session(short, chain.slice(1).map((c) => c.cert))
    expect(e.wires[0]!.payload._tag).toBe("Success")
  }, 60_000)

  it("a chain of 10 certificates when the leaf is the root's (the certificates after it are counted too)", async () => {
    const extra: Array<Certificate> = []
    for (let i = 0; i < 9; i++) extra.push((await makeIntermediate(root, `x${i}`, undefined)).cert)
    const leaf = await leafFor(root, ".", info)
    expect(await refused(leaf, extra)).toBe("certificate chain too long")
    // our CA sent along last is not counted; one certificate less is accepted
    expect((await session(leaf, [...extra.slice(1), root.cert])).wires[0]!.payload._tag).toBe("Success")
  }, 60_000)

  it("a sub-CA with the same name as the root cannot pass its leaves off as the root's", async () => {
    // the endpoint skips its own check of a root-issued leaf's signature when OpenSSL's
    // verified path must be [leaf, root] (authorize.ts): OpenSSL looks for the issuer among the
    // trusted certificates first, so a leaf naming the root as issuer is checked against the
    // root's key even when the client sends a sub-CA of the same name along
    const twin = await makeIntermediate(root, "root", policy(1, 64, [0], [], null))
    expect(twin.cert.subject).toBe(root.cert.subject)
    // the root's key identifier, as its own leaves carry it
    const rootKeyId = (await leafFor(root, ".", info)).cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId
    expect(rootKeyId).toBeDefined()
    for (const authorityKeyId of [undefined, "none", rootKeyId!]) {
      const leaf = await leafFor(twin, ".", info, authorityKeyId === undefined ? {} : { authorityKeyId })
      expect(await refused(leaf, [twin.cert])).toMatch(/^certificate verification failed: certificate \. has an invalid signature/)
      expect(await refused(leaf, [twin.cert, root.cert])).toMatch(/^certificate verification failed/)
    }
  })

  it("an intermediate without the CA flag", async () => {
    const notCa = await makeIntermediate(root, "mallory", policy(1, 64, [0], [], null), {
      profile: [new x509.BasicConstraintsExtension(false, undefined, true), ...leafProfile().slice(0, 1)]
    })
    const leaf = await leafFor(notCa, ".", info)
    expect(await refused(leaf, [notCa.cert])).toMatch(/^certificate verification failed/)
  })

  it("a sub-CA delegating more than it was given", async () => {
    const greedy = await makeIntermediate(team, "greedy", policy(5, 1024, [1], ["service"], 100))
    const leaf = await leafFor(greedy, ".", info)
    expect(await refused(leaf, [greedy.cert, team.cert, alice.cert])).toBe(
      "policy of alice:team:greedy: policy above allows 2 unikernels, which is fewer than 5"
    )
  })

  it("a leaf command outside the allowed list", async () => {
    for (const command of [
      { _tag: "ConsoleAdd", n: 5n },
      { _tag: "StatsAdd", vmmdev: "x", pid: 1, taps: [] },
      { _tag: "PolicyAdd", policy: policy(1, 64) },
      { _tag: "PolicyRemove" }
    ] as Array<Command>) {
      const leaf = await leafFor(team, "x", command)
      expect(await refused(leaf, [team.cert, alice.cert])).toBe("unexpected command")
    }
  })

  it("a CN that is not a valid label", async () => {
    const leaf = await leafFor(team, "no_such label!", info)
    expect(await refused(leaf, [team.cert, alice.cert])).toBe(LABEL_ERROR)
    const sub = await makeIntermediate(root, "bad:label", policy(1, 64, [0], [], null))
    expect(await refused(await leafFor(sub, ".", info), [sub.cert])).toBe(LABEL_ERROR)
  })

  it("a missing extension, a garbage extension, an empty name for a block command", async () => {
    const bare = await makeLeaf(team, "web", undefined)
    expect(await refused(bare, [team.cert, alice.cert])).toBe("leaf certificate does not contain an albatross extension")
    const garbage = await makeLeaf(team, "web", undefined, {
      extra: [new x509.Extension("1.3.6.1.4.1.49836.42", false, new Uint8Array([0x30, 0x03, 0x02, 0x01]))]
    })
    expect(await refused(garbage, [team.cert, alice.cert])).toBe("couldn't parse albatross extension")
    const garbageCa = await makeIntermediate(root, "g", undefined, {
      extra: [new x509.Extension("1.3.6.1.4.1.49836.42", false, new Uint8Array([1, 2, 3]))]
    })
    expect(await refused(await leafFor(garbageCa, ".", info), [garbageCa.cert])).toBe("couldn't parse albatross extension")
    const nameless = await leafFor(team, undefined, { _tag: "BlockAdd", size: 10 })
    expect(await refused(nameless, [team.cert, alice.cert])).toBe("block add may not have an empty name")
  })

  it("an intermediate carrying a command other than a policy", async () => {
    const withCmd = await makeIntermediate(root, "w2", undefined, {
      extra: [new x509.Extension("1.3.6.1.4.1.49836.42", false, new Uint8Array(Buffer.from("3009020105a304b3020500", "hex")))]
    })
    expect(await refused(await leafFor(withCmd, ".", info), [withCmd.cert])).toMatch(/^unexpected wire /)
  })

  it("an oversized frame in the image stream", async () => {
    const config = {
      typ: "solo5" as const, compressed: false, image: new Uint8Array(0), failBehaviour: { _tag: "Quit" as const }, startup: null,
      addName: true, cpuids: [1], memory: 64, blockDevices: [], bridges: [], argv: null, numcpus: 1, linuxBootPartition: null
    }
    const leaf = await leafFor(team, "web", { _tag: "UnikernelCreate", config })
    const before = stubs.received.length
    // a length prefix announcing 1 GiB, then a little data
    const wires = await rawSession(leaf, [team.cert, alice.cert], new Uint8Array([0x40, 0, 0, 0, 1, 2, 3]))
    expect(wires.length).toBe(1)
    const p = wires[0]!.payload
    expect(p._tag === "Failure" && p.message).toMatch(/^reading the unikernel image: frame of 1073741824 bytes exceeds/)
    expect(stubs.received.length).toBe(before)
  })

  it("a client that stops sending in the middle of an image gets a Failure after the idle timeout", async () => {
    const config = {
      typ: "solo5" as const, compressed: false, image: new Uint8Array(0), failBehaviour: { _tag: "Quit" as const }, startup: null,
      addName: true, cpuids: [1], memory: 64, blockDevices: [], bridges: [], argv: null, numcpus: 1, linuxBootPartition: null
    }
    const leaf = await leafFor(team, "web", { _tag: "UnikernelCreate", config })
    const before = stubs.received.length
    // one chunk, then silence (the session is closed by the endpoint, not by us)
    const wires = await rawSession(leaf, [team.cert, alice.cert], new Uint8Array([0, 0, 0, 2, 1, 2]))
    expect(wires.length).toBe(1)
    const p = wires[0]!.payload
    expect(p._tag === "Failure" && p.message).toMatch(/^reading the unikernel image: no data received within 5s/)
    expect(stubs.received.length).toBe(before)
  }, 20_000)

  it("no daemon behind the endpoint: couldn't reach service", async () => {
    const empty = fs.mkdtempSync(path.join(dir, "empty-"))
    const other = await Effect.runPromise(
      Scope.extend(
        startEndpoint({
          caFile: path.join(dir, "ca.pem"), certFile: path.join(dir, "server.pem"), keyFile: path.join(dir, "server.key"),
          tmpdir: empty, listen: { _tag: "Tcp", ip: "127.0.0.1", port: 0 }
        }),
        scope
      ).pipe(Effect.provide(quiet))
    )
    const saved = port
    port = other!.port
    try {
      expect(onlyFailure(await session(await leafFor(root, ".", info), []))).toBe("couldn't reach service")
    } finally {
      port = saved
    }
  })

  it("connections beyond the session limit are closed at once", async () => {
    const limited = await Effect.runPromise(
      Scope.extend(
        startEndpoint({
          caFile: path.join(dir, "ca.pem"), certFile: path.join(dir, "server.pem"), keyFile: path.join(dir, "server.key"),
          tmpdir: dir, listen: { _tag: "Tcp", ip: "127.0.0.1", port: 0 }, maxSessions: 1, handshakeTimeout: Duration.seconds(5)
        }),
        scope
      ).pipe(Effect.provide(quiet))
    )
    const first = net.connect({ host: "127.0.0.1", port: limited!.port })
    await new Promise((r) => first.once("connect", r))
    await new Promise((r) => setTimeout(r, 100))
    const closedAt = await new Promise<number>((resolve) => {
      const second = net.connect({ host: "127.0.0.1", port: limited!.port })
      second.on("close", () => resolve(Date.now()))
      second.on("error", () => {})
    })
    expect(first.destroyed).toBe(false)
    first.destroy()
    expect(closedAt).toBeGreaterThan(0)
  })

  it("a stalled handshake is cut after the handshake timeout", async () => {
    const before = stubs.received.length
    const started = Date.now()
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => s.write(Buffer.from([0x16, 0x03, 0x01])))
      s.on("close", () => resolve())
      s.on("error", () => resolve())
      setTimeout(() => reject(new Error("not closed")), 10_000)
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(stubs.received.length).toBe(before)
  })
})
