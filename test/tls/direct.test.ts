// The endpoint's direct path to the daemons (src/daemons/tls-endpoint/direct.ts): the failure
// texts of spec §10.4 when a daemon misbehaves; the well-behaved cases run through the whole
// endpoint in endpoint.test.ts.
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Either } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import type { Payload, Wire } from "../../src/domain/wire.js"
import { exchange } from "../../src/daemons/tls-endpoint/direct.js"
import type { Authority } from "../../src/tls/peer-chain.js"
import { encodeFrame, FrameDecoder } from "../../src/wire/framing.js"
import { decodeWireSync, encodeWireSync } from "../../src/wire/index.js"
import { policy } from "./pki.js"

const servers: Array<net.Server> = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

/** A stand-in vmmd: `answer` gets each message received and writes what it likes. */
const daemon = async (answer: (wire: Wire, socket: net.Socket, index: number) => void): Promise<{ tmpdir: string; received: Array<Wire> }> => {
  const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-direct-"))
  fs.mkdirSync(path.join(tmpdir, "util"))
  const received: Array<Wire> = []
  const server = net.createServer((socket) => {
    const decoder = new FrameDecoder()
    socket.on("data", (chunk) => {
      for (const f of decoder.push(chunk)) {
        if (f === null) continue
        const wire = Either.getOrThrow(decodeWireSync(f))
        received.push(wire)
        answer(wire, socket, received.length - 1)
      }
    })
    socket.on("error", () => {})
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(path.join(tmpdir, "util", "vmmd.sock"), r))
  return { tmpdir, received }
}

const reply = (socket: net.Socket, wire: Wire, payload: Payload) => socket.write(encodeFrame(Either.getOrThrow(encodeWireSync({ header: wire.header, payload }))))

const delegated: Authority = {
  adminPath: ["alice"],
  policies: [{ path: ["alice"], policy: policy(2, 64) }],
  name: Name.of(["alice"], "web"),
  version: 5,
  command: { _tag: "UnikernelInfo" }
}
const plain: Authority = { ...delegated, adminPath: [], policies: [] }

const run = (authority: Authority, tmpdir: string, replyTimeoutMs = 5000): Promise<Payload> =>
  new Promise((resolve) => exchange(authority, { tmpdir, maxFrame: 1 << 20, replyTimeoutMs, debug: false, log: () => {} }, resolve))

const failureText = (p: Payload): string => (p._tag === "Failure" ? p.message : `not a Failure: ${p._tag}`)

describe("direct path to the daemon", () => {
  it("the policies first, each acknowledged, then the command; the daemon's reply is the final payload", async () => {
    const d = await daemon((wire, socket) =>
      reply(socket, wire, wire.payload._tag === "Command" && wire.payload.command._tag === "PolicyAdd" ? { _tag: "Success", success: { _tag: "Empty" } } : { _tag: "Success", success: { _tag: "String", message: "ok" } })
    )
    const p = await run(delegated, d.tmpdir)
    expect(p).toEqual({ _tag: "Success", success: { _tag: "String", message: "ok" } })
    expect(d.received.map((w) => (w.payload._tag === "Command" ? w.payload.command._tag : w.payload._tag))).toEqual(["PolicyAdd", "UnikernelInfo"])
    expect(d.received[0]!.header.name.toString()).toBe("alice:")
    expect(d.received[1]!.header.name.toString()).toBe("alice:web")
    expect(d.received[1]!.header.sequence).toBe(d.received[0]!.header.sequence + 1n)
  })

  it("a policy answered with something else than a Success: the reference's texts, the command not sent", async () => {
    const refused = await daemon((wire, socket) => reply(socket, wire, { _tag: "Failure", message: "no way" }))
    expect(failureText(await run(delegated, refused.tmpdir))).toBe("no way")
    const data = await daemon((wire, socket) => reply(socket, wire, { _tag: "Data", data: { _tag: "BlockData", data: null } }))
    expect(failureText(await run(delegated, data.tmpdir))).toBe("expected success when adding policy, got: Data")
    const closes = await daemon((_wire, socket) => socket.destroy())
    expect(failureText(await run(delegated, closes.tmpdir))).toBe("read error after writing policy")
    for (const d of [refused, data, closes]) expect(d.received.length).toBe(1)
  })

  it("no reply, an undecodable reply, an end-of-stream frame, silence: error reading from fd", async () => {
    const closes = await daemon((_wire, socket) => socket.end())
    expect(failureText(await run(plain, closes.tmpdir))).toBe("error reading from fd")
    const garbage = await daemon((_wire, socket) => socket.write(encodeFrame(Uint8Array.from([1, 2, 3]))))
    expect(failureText(await run(plain, garbage.tmpdir))).toBe("error reading from fd")
    const end = await daemon((_wire, socket) => socket.write(new Uint8Array(4)))
    expect(failureText(await run(plain, end.tmpdir))).toBe("error reading from fd")
    const silent = await daemon(() => {})
    expect(failureText(await run(plain, silent.tmpdir, 200))).toBe("error reading from fd")
  })

  it("no daemon: couldn't reach service, with a warning naming the socket", async () => {
    const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-direct-"))
    const logged: Array<string> = []
    const p = await new Promise<Payload>((resolve) =>
      exchange(plain, { tmpdir, maxFrame: 1 << 20, debug: false, log: (level, m) => logged.push(`${level} ${m}`) }, resolve)
    )
    expect(failureText(p)).toBe("couldn't reach service")
    expect(logged).toEqual([`Warning failed to connect to ${path.join(tmpdir, "util", "vmmd.sock")}: connect ${path.join(tmpdir, "util", "vmmd.sock")}: ENOENT`])
  })
})
