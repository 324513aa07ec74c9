/** Connection behaviour (spec §4.3): bad input, limits, the stats channel, the console link, concurrent clients. */
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Option } from "effect"
import { Name } from "../../src/domain/name.js"
import type { Policy } from "../../src/domain/policy.js"
import { connectUnix } from "../../src/net/connection.js"
import { vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { encodeFrame } from "../../src/wire/framing.js"
import { command, config, consolePeer, create, destroy, replyText, setup } from "./support.js"

const Name_ = (s: string) => Either.getOrThrow(Name.fromString(s))

/** Raw bytes to vmmd.sock; everything the daemon sends back until it closes. */
const raw = (dir: string, bytes: Uint8Array) =>
  Effect.promise(
    () =>
      new Promise<Buffer>((resolve) => {
        const chunks: Array<Buffer> = []
        const s = net.createConnection({ path: vmmdSocketPath(dir) }, () => s.write(bytes))
        s.on("data", (c) => chunks.push(c))
        s.on("close", () => resolve(Buffer.concat(chunks)))
        s.on("error", () => resolve(Buffer.concat(chunks)))
      })
  )

describe("albatrossd connections", () => {
  it.scoped("an undecodable frame gets a Failure with the unknown-request header, then the connection closes", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const back = yield* raw(t.dir, encodeFrame(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07])))
      expect(back.length).toBeGreaterThan(4)
      const conn = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* conn.writeFrame(new Uint8Array([1, 2, 3]))
      const r = yield* conn.readWireUntimed
      expect(Option.map(r, (w) => [w.header.sequence, w.header.name.toString(), w.payload._tag])).toEqual(Option.some([0n, ":", "Failure"]))
      expect(Option.isNone(yield* conn.readWireUntimed)).toBe(true)
    }))

  it.scoped("a frame over the limit is refused from its length alone", () =>
    Effect.gen(function* () {
      const t = yield* setup({ options: (o) => ({ ...o, maxFrame: 1024 }) })
      const prefix = new Uint8Array([0, 0, 0x10, 0])
      const back = yield* raw(t.dir, prefix)
      expect(back.length).toBeGreaterThan(4)
      // the daemon still serves
      expect(yield* t.say("web", create())).toBe("success:created unikernel")
    }))

  it.scoped("the default frame limit admits a 64 MB image", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const image = new Uint8Array(64 * 1024 * 1024).fill(0x5a)
      expect(yield* t.say("big", create(config({ image })))).toBe("success:created unikernel")
      expect(t.fake.state()?.unikernels[0]?.config.image.length).toBe(image.length)
    }))

  it.scoped("a reply to a request is not a command: Failure and close", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const conn = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* conn.writeWire({ header: { version: 5, sequence: 3n, name: Name_(":x") }, payload: { _tag: "Failure", message: "hi" } })
      const r = yield* conn.readWireUntimed
      expect(Option.map(r, replyText)).toEqual(Option.some("failure:unexpected failure, expected a command"))
    }))

  it.live("a silent client is answered with a Failure after the read timeout", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const t = yield* setup({ options: (o) => ({ ...o, readTimeout: Duration.millis(200) }) })
        const conn = yield* connectUnix(vmmdSocketPath(t.dir))
        const r = yield* conn.readWireUntimed
        expect(Option.map(r, (w) => w.payload._tag)).toEqual(Option.some("Failure"))
      })
    ))

  it.scoped("Stats_initial: Success Empty echoing the header, Stats_add for running ones, then per create/exit", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("first", create(config({ bridges: [{ netif: "service", bridge: null, mac: null }] })))
      const conn = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* conn.writeWire(command(":", { _tag: "StatsInitial" }, 41n))
      const first = yield* conn.readWireUntimed
      expect(Option.map(first, (w) => [w.header.sequence, w.payload])).toEqual(
        Option.some([41n, { _tag: "Success", success: { _tag: "Empty" } }])
      )
      const add1 = yield* conn.readWireUntimed
      expect(Option.map(add1, (w) => [w.header.sequence, w.header.name.toString(), w.payload])).toEqual(
        Option.some([
          42n,
          ":first",
          { _tag: "Command", command: { _tag: "StatsAdd", vmmdev: "", pid: t.fake.processes[0]!.pid, taps: [{ bridge: "service", tap: "vmmtap0" }] } }
        ])
      )
      yield* t.say("second", create())
      const add2 = yield* conn.readWireUntimed
      expect(Option.map(add2, (w) => [w.header.sequence, w.header.name.toString()])).toEqual(Option.some([43n, ":second"]))
      yield* t.say("second", destroy)
      const rm = yield* conn.readWireUntimed
      expect(Option.map(rm, (w) => [w.header.sequence, w.header.name.toString(), w.payload])).toEqual(
        Option.some([44n, ":second", { _tag: "Command", command: { _tag: "StatsRemove" } }])
      )
    }))

  it.scoped("the console link reconnects when albatross-console restarts (deliberate fix)", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      expect(yield* t.say("a", create())).toBe("success:created unikernel")
      yield* t.console.stop
      // albatross-console gone: the create fails, and what it made is removed
      const r = yield* t.say("b", create())
      expect(r).toMatch(/^failure:could not create unikernel: console failed/)
      expect(t.fake.files.has(`${t.dir}/:b.img`)).toBe(false)
      // albatross-console back (a new process on the same socket): creates work again
      const fresh = yield* consolePeer(t.dir)
      expect(yield* t.say("b", create())).toBe("success:created unikernel")
      expect(fresh.added.map((a) => a.name)).toEqual([":b"])
    }))

  it.scoped("50 concurrent clients creating and destroying never overcommit a policy nor corrupt the state", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const p: Policy = { unikernels: 10n, cpuids: [0, 1], memory: 160, block: null, bridges: ["service"] }
      yield* t.say("team:", { _tag: "PolicyAdd", policy: p })
      let maxRunning = 0
      const watch = () => {
        maxRunning = Math.max(maxRunning, t.daemon.acc.usage(["team"]).running)
      }
      const client = (i: number) =>
        Effect.gen(function* () {
          const n = `team:u${i % 25}`
          for (let round = 0; round < 3; round++) {
            const r = yield* t.say(n, create(config({ memory: 16 + (i % 3) * 8, bridges: [{ netif: "service", bridge: null, mac: null }] })))
            watch()
            expect(r).toMatch(/^(success:created unikernel|failure:(maximum .*|Unikernel with same name is already running))$/)
            const d = yield* t.say(n, destroy)
            watch()
            expect(d).toMatch(/^(success:destroyed unikernel|failure:destroy: not found)$/)
          }
        })
      yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => i), client, { concurrency: "unbounded", discard: true })
      expect(maxRunning).toBeLessThanOrEqual(10)
      const usage = t.daemon.acc.usage(["team"])
      expect(usage.memory).toBeLessThanOrEqual(160)
      // the state file decodes and lists exactly what runs
      const state = t.fake.state()!
      expect(state.unikernels.map((u) => u.name.toString()).sort()).toEqual([...t.daemon.supervised.values()].map((s) => s.name.toString()).sort())
      expect(t.fake.taps.size).toBe(t.fake.live().length)
    }))
})

