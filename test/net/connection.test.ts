import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import type { Wire } from "../../src/domain/wire.js"
import { connectUnix } from "../../src/net/connection.js"
import { serveUnix } from "../../src/net/server.js"
import { encodeFrame } from "../../src/wire/framing.js"
import { encodeWireSync } from "../../src/wire/index.js"
import { failure, successString, UNKNOWN_REQUEST_HEADER } from "../../src/wire/reply.js"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "alba-net-"))

const request: Wire = {
  header: { version: 5, sequence: 7n, name: Name.of([], "foo") },
  payload: { _tag: "Command", command: { _tag: "UnikernelInfo" } }
}

/** An echo-style server: answers each request with "ok", bad input with a Failure, as the daemons do. */
const serveEcho = (socketPath: string, maxFrame = 1024) =>
  serveUnix({ path: socketPath, connection: { maxFrame, readTimeout: "200 millis" } }, (conn) =>
    Effect.gen(function* () {
      while (true) {
        const next = yield* conn.readWire
        if (Option.isNone(next)) return
        yield* conn.writeWire(successString(next.value.header, "ok"))
      }
    }).pipe(
      Effect.catchAll((err) =>
        err.reason === "closed" || err.reason === "io"
          ? Effect.void
          : conn.writeWire(failure(UNKNOWN_REQUEST_HEADER, err.message)).pipe(Effect.ignore)
      ),
      Effect.ensuring(conn.close)
    )
  )

/** Raw client: writes bytes, collects everything until the server closes. */
const rawExchange = (socketPath: string, bytes: Uint8Array): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    const s = net.createConnection({ path: socketPath }, () => s.write(bytes))
    s.on("data", (c) => chunks.push(c))
    s.on("error", reject)
    s.on("close", () => resolve(Buffer.concat(chunks)))
  })

describe("framed connections over a Unix socket", () => {
  it("carries requests and replies, echoing the header", async () => {
    const dir = tmp()
    const socketPath = path.join(dir, "s.sock")
    const replies = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* serveEcho(socketPath)
          const conn = yield* connectUnix(socketPath)
          yield* conn.writeWire(request)
          const first = yield* conn.readWire
          yield* conn.writeWire(request)
          const second = yield* conn.readWire
          return [first, second]
        })
      )
    )
    for (const r of replies) {
      const wire = Option.getOrThrow(r)
      expect(wire.header.sequence).toBe(7n)
      expect(wire.header.name.toString()).toBe(":foo")
      expect(wire.payload).toEqual({ _tag: "Success", success: { _tag: "String", message: "ok" } })
    }
  })

  it("answers an oversized frame with a Failure naming the limit, before its body is sent", async () => {
    const dir = tmp()
    const socketPath = path.join(dir, "s.sock")
    const answer = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* serveEcho(socketPath, 1024)
          // only the length prefix of a 1 GiB frame
          return yield* Effect.promise(() => rawExchange(socketPath, Uint8Array.from([0x40, 0, 0, 0])))
        })
      )
    )
    expect(answer.toString("latin1")).toContain("exceeds the maximum of 1024 bytes")
  })

  it("answers garbage with a Failure and a stalled peer with a timeout Failure", async () => {
    const dir = tmp()
    const socketPath = path.join(dir, "s.sock")
    const [garbage, stalled] = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* serveEcho(socketPath)
          const g = yield* Effect.promise(() => rawExchange(socketPath, encodeFrame(Uint8Array.from([1, 2, 3]))))
          // half a frame, then silence
          const s = yield* Effect.promise(() => rawExchange(socketPath, Uint8Array.from([0, 0, 0, 10, 0x30])))
          return [g, s]
        })
      )
    )
    expect(garbage.length).toBeGreaterThan(4)
    expect(stalled.toString("latin1")).toContain("no data received within")
  })

  it("reads a burst of frames in order: buffered past the high-water mark (socket paused), then drained", async () => {
    const dir = tmp()
    const socketPath = path.join(dir, "s.sock")
    const n = 300
    const burst = Buffer.concat(
      Array.from({ length: n }, (_, i) =>
        Buffer.from(encodeFrame(Either.getOrThrow(encodeWireSync({ ...request, header: { ...request.header, sequence: BigInt(i) } }))))
      )
    )
    const sequences = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* serveEcho(socketPath)
          const conn = yield* connectUnix(socketPath)
          yield* conn.writeFramed(burst)
          const seen: Array<bigint> = []
          for (let i = 0; i < n; i++) seen.push(Option.getOrThrow(yield* conn.readWire).header.sequence)
          return seen
        })
      )
    )
    expect(sequences).toEqual(Array.from({ length: n }, (_, i) => BigInt(i)))
  })

  it("removes a stale socket file and keeps the group permission bits", async () => {
    const dir = tmp()
    const socketPath = path.join(dir, "s.sock")
    fs.writeFileSync(socketPath, "stale")
    const previous = process.umask(0o027)
    try {
      const mode = await Effect.runPromise(
        Effect.scoped(Effect.map(serveEcho(socketPath), () => fs.statSync(socketPath).mode & 0o777))
      )
      // the process umask 027 would strip the group bits; the server keeps them
      expect(mode & 0o070).toBe(0o070)
      expect(mode & 0o007).toBe(0)
    } finally {
      process.umask(previous)
    }
  })
})
