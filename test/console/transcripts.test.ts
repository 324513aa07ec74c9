/**
 * The console exchanges recorded between the real albatross-client and the real
 * albatross-console (../shared/vectors/transcripts.json): the same request bytes, sent to ours
 * with the same history in the ring, get the same reply bytes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import type { Connection } from "../../src/net/connection.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { hexToBytes } from "../support/vector-values.js"
import { run, setup } from "./support.js"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

interface Frame {
  readonly dir: "c2s" | "s2c"
  readonly hex: string
  readonly length_prefix: string
}
interface Conn {
  readonly service: string
  readonly frames: ReadonlyArray<Frame>
  readonly frames_total: number
}
interface Step {
  readonly step: string
  readonly connections: ReadonlyArray<Conn>
}

const vectors = sharedVectorsDir
const steps: ReadonlyArray<Step> = JSON.parse(fs.readFileSync(path.join(vectors, "transcripts.json"), "utf8"))
const consoleConn = (step: string): Conn => {
  const c = steps.find((s) => s.step === step)?.connections.find((c) => c.service === "console")
  if (c === undefined) throw new Error(`no console connection in step ${step}`)
  return c
}

/** (timestamp, line) of a recorded Console_data frame. */
const dataOf = (hex: string) => {
  const w = Either.getOrThrow(decodeWireSync(hexToBytes(hex)))
  if (w.payload._tag !== "Data" || w.payload.data._tag !== "ConsoleData") throw new Error("not console data")
  return { name: w.header.name.toString(), ts: w.payload.data.timestamp.getTime(), line: Buffer.from(w.payload.data.line).toString("latin1") }
}

const rawFrame = (f: Frame) => hexToBytes(f.length_prefix + f.hex)

const readHex = (conn: Connection) =>
  Effect.flatMap(conn.readFrameUntimed, (f) =>
    Option.isSome(f) ? Effect.succeed(Buffer.from(f.value).toString("hex")) : Effect.fail(new Error("end of stream"))
  )

type Daemon = Effect.Effect.Success<ReturnType<typeof setup>>

/** Writes entries into the ring, one read per run of equal timestamps. */
const fill = (d: Daemon, name: string, entries: ReadonlyArray<{ ts: number; line: string }>) =>
  Effect.gen(function* () {
    let i = 0
    while (i < entries.length) {
      const ts = entries[i]!.ts
      let chunk = ""
      while (i < entries.length && entries[i]!.ts === ts) chunk += entries[i++]!.line + "\n"
      yield* d.write(name, chunk, ts)
    }
  })

describe("console transcripts of the reference", () => {
  it("console --count=3: reply, the 3 newest entries, then live lines, byte for byte", () =>
    run(
      Effect.gen(function* () {
        const rec = consoleConn("console-count")
        const [request, ...replies] = rec.frames
        const data = replies.slice(1).map((f) => dataOf(f.hex))
        const name = data[0]!.name
        const d = yield* setup()
        yield* d.start(name)
        yield* fill(d, name, [{ ts: data[0]!.ts - 5000, line: "older, not asked for" }, ...data.slice(0, 3)])
        const conn = yield* d.connect
        yield* conn.writeFramed(rawFrame(request!))
        for (const f of replies.slice(0, 4)) expect(yield* readHex(conn)).toBe(f.hex)
        yield* fill(d, name, data.slice(3))
        for (const f of replies.slice(4)) expect(yield* readHex(conn)).toBe(f.hex)
        expect(replies.length + 1).toBe(rec.frames_total)
      })
    ))

  it("console --since=2020-01-01: the whole full ring, oldest first, byte for byte", () =>
    run(
      Effect.gen(function* () {
        const rec = consoleConn("console-since")
        const [request, reply, ...recorded] = rec.frames
        const data = recorded.map((f) => dataOf(f.hex))
        const name = data[0]!.name
        const d = yield* setup()
        yield* d.start(name)
        const last = data[data.length - 1]!.ts
        const filler = Array.from({ length: 1024 - data.length + 10 }, (_, i) => ({ ts: last + 1 + i, line: `filler ${i}` }))
        // 10 more than fit: the recorded oldest entries must survive, so they go in last-but-not-oldest order
        yield* fill(d, name, [...filler.slice(0, 10).map((f) => ({ ...f, ts: data[0]!.ts - 1000 })), ...data, ...filler.slice(10)])
        const conn = yield* d.connect
        yield* conn.writeFramed(rawFrame(request!))
        expect(yield* readHex(conn)).toBe(reply!.hex)
        for (const f of recorded) expect(yield* readHex(conn)).toBe(f.hex)
        let more = 0
        while (more < 1024 - recorded.length) {
          const hex = yield* readHex(conn)
          expect(dataOf(hex).line).toBe(`filler ${10 + more}`)
          more++
        }
        // 1 request + 1 reply + 1024 history + 4 live lines in the recording
        expect(rec.frames_total).toBeGreaterThanOrEqual(2 + 1024)
      })
    ))

  it("inactive-consoles: the same list, in the same order", () =>
    run(
      Effect.gen(function* () {
        const rec = consoleConn("inactive-consoles")
        const [request, reply] = rec.frames
        const d = yield* setup()
        for (const n of ["tenant:ctl", "tenant:once", "tenant:restarter", "tenant:tr1", "tenant:tr2"]) {
          yield* d.start(n)
          yield* d.write(n, "some output\n")
          yield* d.end(n)
        }
        yield* d.start("tenant:running", 10n)
        const conn = yield* d.connect
        yield* conn.writeFramed(rawFrame(request!))
        const got = yield* readHex(conn)
        expect(Buffer.from(got, "hex").toString("latin1")).toBe(Buffer.from(reply!.hex, "hex").toString("latin1"))
        expect(got).toBe(reply!.hex)
      })
    ))
})
