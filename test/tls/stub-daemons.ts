/**
 * Stand-ins for vmmd, console and stats on real Unix sockets under `<tmpdir>/util/`, recording
 * every frame they receive, so tests can see exactly what the endpoint forwarded (or that
 * nothing arrived). Replies are fixed per command.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Option, type Scope } from "effect"
import { Name } from "../../src/domain/name.js"
import type { Wire } from "../../src/domain/wire.js"
import type { Connection } from "../../src/net/connection.js"
import { serveUnix } from "../../src/net/server.js"

export interface Received {
  readonly service: "vmmd" | "console" | "stats"
  readonly wire: Wire
  /** Raw chunks received after the command (block data). */
  readonly chunks: Array<Uint8Array>
}

export const POLICY_REFUSED_MEMORY = 13

const text = (message: string) => ({ _tag: "Success", success: { _tag: "String", message } }) as const

const vmmd = (log: Array<Received>) => (conn: Connection) =>
  Effect.gen(function* () {
    for (;;) {
      const next = yield* conn.readWire
      if (Option.isNone(next)) return
      const wire = next.value
      const entry: Received = { service: "vmmd", wire, chunks: [] }
      log.push(entry)
      const h = wire.header
      if (wire.payload._tag !== "Command") return
      const c = wire.payload.command
      switch (c._tag) {
        case "PolicyAdd":
          yield* conn.writeWire(
            c.policy.memory === POLICY_REFUSED_MEMORY
              ? { header: h, payload: { _tag: "Failure", message: "policy refused by vmmd" } }
              : { header: h, payload: text("added policy") }
          )
          continue
        case "BlockSet": {
          for (;;) {
            const chunk = yield* conn.readChunk
            if (Option.isNone(chunk)) break
            entry.chunks.push(Uint8Array.from(chunk.value))
          }
          const total = entry.chunks.reduce((n, c) => n + c.length, 0)
          return yield* conn.writeWire({ header: h, payload: text(`set ${total} bytes`) })
        }
        case "BlockDump":
          yield* conn.writeWire({ header: h, payload: { _tag: "Success", success: { _tag: "BlockDeviceImage", compressed: false } } })
          yield* conn.writeWire({ header: h, payload: { _tag: "Data", data: { _tag: "BlockData", data: new Uint8Array([1, 2, 3]) } } })
          yield* conn.writeWire({ header: h, payload: { _tag: "Data", data: { _tag: "BlockData", data: new Uint8Array([4]) } } })
          return yield* conn.writeWire({ header: h, payload: { _tag: "Data", data: { _tag: "BlockData", data: null } } })
        case "UnikernelCreate":
        case "UnikernelForceCreate":
          return yield* conn.writeWire({ header: h, payload: text(`created ${h.name.toString()} image ${c.config.image.length} bytes`) })
        case "PolicyInfo":
          return yield* conn.writeWire({
            header: h,
            payload: { _tag: "Success", success: { _tag: "Policies", policies: [{ name: Name.root, policy: { unikernels: 1n, cpuids: [0], memory: 64, block: null, bridges: [] } }] } }
          })
        default:
          return yield* conn.writeWire({ header: h, payload: text(`${c._tag} ${h.name.toString()}`) })
      }
    }
  }).pipe(Effect.ignore)

/** Console: a subscription gets two lines, then the connection ends. */
const console_ = (log: Array<Received>) => (conn: Connection) =>
  Effect.gen(function* () {
    const next = yield* conn.readWire
    if (Option.isNone(next)) return
    log.push({ service: "console", wire: next.value, chunks: [] })
    const h = next.value.header
    const line = (s: string) => ({ header: h, payload: { _tag: "Data", data: { _tag: "ConsoleData", timestamp: new Date(0), line: new TextEncoder().encode(s) } } }) as const
    yield* conn.writeWire({ header: h, payload: { _tag: "Success", success: { _tag: "Empty" } } })
    yield* conn.writeWire(line("hello"))
    yield* conn.writeWire(line("world"))
  }).pipe(Effect.ignore)

const stats = (log: Array<Received>) => (conn: Connection) =>
  Effect.gen(function* () {
    const next = yield* conn.readWire
    if (Option.isNone(next)) return
    log.push({ service: "stats", wire: next.value, chunks: [] })
    yield* conn.writeWire({ header: next.value.header, payload: { _tag: "Success", success: { _tag: "Empty" } } })
  }).pipe(Effect.ignore)

export interface Stubs {
  readonly tmpdir: string
  readonly received: Array<Received>
}

export const startStubs = (): Effect.Effect<Stubs, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "albatross-tls-"))
    fs.mkdirSync(path.join(tmpdir, "util"))
    const received: Array<Received> = []
    yield* serveUnix({ path: path.join(tmpdir, "util", "vmmd.sock") }, vmmd(received))
    yield* serveUnix({ path: path.join(tmpdir, "util", "console.sock") }, console_(received))
    yield* serveUnix({ path: path.join(tmpdir, "util", "stat.sock") }, stats(received))
    return { tmpdir, received }
  })
