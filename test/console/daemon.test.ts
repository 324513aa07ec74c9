/**
 * albatross-console on test FIFOs and a manual clock, over its real Unix socket: replies,
 * history and live lines (spec §7.2-7.5), the subscriber limit, the per-path cap, restarts,
 * slow subscribers, bad input.
 */
import * as net from "node:net"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { encodeFrame } from "../../src/wire/framing.js"
import {
  add,
  command,
  count,
  ends,
  next,
  replyText,
  run,
  setup,
  since,
  subscribeCmd,
  waitFor
} from "./support.js"

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0)

describe("albatross-console", () => {
  it("Console_add then subscribe: reply, history, live lines; headers name the console", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        yield* d.start("tenant:web")
        yield* d.write("tenant:web", "one\ntwo\n", T0)
        yield* d.write("tenant:web", "three\n", T0 + 1000)
        const { conn, reply } = yield* d.ask(subscribeCmd("tenant:web", count(2)))
        expect(reply).toBe("success:subscribed")
        const h1 = yield* next(conn)
        expect(h1.header.name.toString()).toBe("tenant:web")
        expect(h1.header.sequence).toBe(0n)
        expect(h1.header.version).toBe(5)
        expect(replyText(h1)).toBe(`data:${T0}:two`)
        expect(replyText(yield* next(conn))).toBe(`data:${T0 + 1000}:three`)
        yield* d.write("tenant:web", "four\n", T0 + 2000)
        expect(replyText(yield* next(conn))).toBe(`data:${T0 + 2000}:four`)
      })
    ))

  it("all lines of one read share one timestamp", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        yield* d.start(":a")
        const { conn } = yield* d.ask(subscribeCmd(":a", count(0)))
        yield* d.write(":a", "x\ny\nz\n", T0 + 5)
        const got = [yield* next(conn), yield* next(conn), yield* next(conn)].map(replyText)
        expect(got).toEqual([`data:${T0 + 5}:x`, `data:${T0 + 5}:y`, `data:${T0 + 5}:z`])
        d.clock.set(T0 + 9)
        yield* d.write(":a", "w\n")
        expect(replyText(yield* next(conn))).toBe(`data:${T0 + 9}:w`)
      })
    ))

  it("the line rules apply on the daemon: truncation, drop mode, empty lines", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        yield* d.start(":t")
        const { conn } = yield* d.ask(subscribeCmd(":t", count(0)))
        yield* d.fifos.write(d.fifo(":t"), "q".repeat(700) + "\n\n\nafter\n")
        expect(replyText(yield* next(conn))).toBe(`data:${T0}:${"q".repeat(512)} [truncated]`)
        expect(replyText(yield* next(conn))).toBe(`data:${T0}:after`)
      })
    ))

  it("since and count at the edges, on a partial and a full ring", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        yield* d.start(":p")
        for (let i = 0; i < 10; i++) yield* d.write(":p", `p${i}\n`, T0 + i)
        yield* d.start(":f")
        const lines = Array.from({ length: 1100 }, (_, i) => `f${i}\n`)
        for (let i = 0; i < 1100; i += 100) yield* d.write(":f", lines.slice(i, i + 100).join(""), T0 + i)
        const history = (n: string, q: Parameters<typeof subscribeCmd>[1]) =>
          Effect.scoped(
            Effect.gen(function* () {
              const { conn, reply } = yield* d.ask(subscribeCmd(n, q))
              expect(reply).toBe("success:subscribed")
              const out: Array<string> = []
              // history is followed by nothing (no live line comes): read until a quiet pause
              for (;;) {
                const w = yield* Effect.either(next(conn, 300))
                if (w._tag === "Left") return out
                out.push(replyText(w.right).split(":").slice(2).join(":"))
              }
            })
          )
        expect(yield* history(":p", count(-1))).toEqual([])
        expect(yield* history(":p", count(0))).toEqual([])
        expect(yield* history(":p", count(3))).toEqual(["p7", "p8", "p9"])
        expect((yield* history(":p", count(2n ** 62n - 1n))).length).toBe(10)
        expect((yield* history(":p", since(0))).length).toBe(10)
        expect(yield* history(":p", since(T0 + 8))).toEqual(["p8", "p9"])
        expect(yield* history(":p", since(T0 + 100))).toEqual([])
        expect(yield* history(":f", count(-(2n ** 62n)))).toEqual([])
        const all = yield* history(":f", count(2n ** 62n - 1n))
        expect(all.length).toBe(1024)
        expect(all[0]).toBe("f76")
        expect(all[1023]).toBe("f1099")
        expect((yield* history(":f", since(Date.parse("0000-01-01T00:00:00Z")))).length).toBe(1024)
        expect((yield* history(":f", since(T0 + 1000))).length).toBe(100)
      })
    ))

  it("a name without label is refused for add and subscribe; a name for list-inactive", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        for (const wire of [add("tenant:", 1n), subscribeCmd("tenant:", count(1))]) {
          const { conn, reply } = yield* d.ask(wire)
          expect(reply).toBe("failure:path used instead of name")
          expect(yield* ends(conn)).toBe(true)
        }
        const { conn, reply } = yield* d.ask(command("tenant:web", { _tag: "ConsoleListInactive" }))
        expect(reply).toBe("failure:name used")
        expect(yield* ends(conn)).toBe(true)
      })
    ))

  it("a FIFO that cannot be opened: Failure opening, albatrossd's link stays usable", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        const { conn, reply } = yield* d.ask(add(":missing", 1n))
        expect(reply).toBe("failure:opening")
        yield* d.start(":there", 1n, conn)
        expect(d.fifos.opens(d.fifo(":there"))).toBe(1)
        expect(d.fifos.opens(d.fifo(":missing"))).toBe(0)
        expect(d.registry.labels([])).toEqual(["there"])
      })
    ))

  it("other commands and non-command messages get a Failure and are closed", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        const { conn, reply } = yield* d.ask(command(":x", { _tag: "StatsSubscribe" }))
        expect(reply).toBe("failure:unexpected command StatsSubscribe")
        expect(yield* ends(conn)).toBe(true)
        const c2 = yield* d.ask({ header: command(":x", { _tag: "StatsSubscribe" }).header, payload: { _tag: "Failure", message: "hi" } })
        expect(c2.reply).toBe("failure:unexpected message")
      })
    ))

  it("undecodable and oversized frames: Failure with the root header, closed", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        const raw = (bytes: Uint8Array) =>
          Effect.gen(function* () {
            const conn = yield* d.connect
            yield* conn.writeFramed(bytes)
            const w = yield* next(conn)
            expect(w.header.name.toString()).toBe(":")
            expect(yield* ends(conn)).toBe(true)
            return replyText(w)
          })
        expect(yield* raw(encodeFrame(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05])))).toMatch(/^failure:/)
        const huge = new Uint8Array(4)
        new DataView(huge.buffer).setInt32(0, 0x7fffffff)
        expect(yield* raw(huge)).toMatch(/^failure:frame of 2147483647 bytes exceeds/)
      })
    ))

  it("exactly max subscribers: a new one closes the oldest (the reference kept max+1)", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup({ maxSubscribers: 2 })
        yield* d.start(":s")
        const subs = []
        for (let i = 0; i < 3; i++) subs.push((yield* d.ask(subscribeCmd(":s", count(0)))).conn)
        expect(yield* ends(subs[0]!)).toBe(true)
        expect(d.registry.lookup(command(":s", { _tag: "ConsoleListInactive" }).header.name)!.subscribers.length).toBe(2)
        yield* d.write(":s", "hi\n", T0)
        expect(replyText(yield* next(subs[1]!))).toBe(`data:${T0}:hi`)
        expect(replyText(yield* next(subs[2]!))).toBe(`data:${T0}:hi`)
      })
    ))

  it("max-subscribers 1 keeps exactly one", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup({ maxSubscribers: 1 })
        yield* d.start(":one")
        const a = (yield* d.ask(subscribeCmd(":one", count(0)))).conn
        const b = (yield* d.ask(subscribeCmd(":one", count(0)))).conn
        expect(yield* ends(a)).toBe(true)
        yield* d.write(":one", "x\n", T0)
        expect(replyText(yield* next(b))).toBe(`data:${T0}:x`)
      })
    ))

  it("a subscriber leaving with one more message is closed and removed", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        yield* d.start(":l")
        const { conn } = yield* d.ask(subscribeCmd(":l", count(0)))
        const entry = () => d.registry.lookup(subscribeCmd(":l", count(0)).header.name)!
        expect(entry().subscribers.length).toBe(1)
        yield* conn.writeWire(command(":l", { _tag: "ConsoleListInactive" }))
        expect(yield* ends(conn)).toBe(true)
        yield* waitFor("unsubscribed", () => entry().subscribers.length === 0)
      })
    ))

  it("per-path cap: beyond n consoles the smallest inactive one goes and its subscribers are closed", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        const link = yield* d.start("p:b", 2n)
        yield* d.start("p:a", 2n, link)
        yield* d.write("p:a", "a\n", T0)
        yield* d.write("p:b", "b\n", T0)
        const subA = (yield* d.ask(subscribeCmd("p:a", count(5)))).conn
        const subB = (yield* d.ask(subscribeCmd("p:b", count(5)))).conn
        yield* next(subA)
        yield* next(subB)
        yield* d.end("p:a")
        yield* d.end("p:b")
        yield* d.start("p:c", 2n, link)
        expect(d.registry.labels(["p"])).toEqual(["b", "c"])
        expect(yield* ends(subA)).toBe(true)
        expect(yield* ends(subB, 300)).toBe(false)
        // none inactive: nothing is dropped, the path holds n + 1
        yield* d.start("p:b", 2n, link)
        yield* d.start("p:d", 2n, link)
        expect(d.registry.labels(["p"])).toEqual(["b", "c", "d"])
        // the stored n is overwritten by every Console_add
        yield* d.start("p:e", 10n, link)
        expect(d.registry.allowance(["p"])).toBe(10n)
      })
    ))

  it("subscribing before the unikernel exists: waiting for VM, then live lines", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        const { conn, reply } = yield* d.ask(subscribeCmd("new:vm", count(10)))
        expect(reply).toBe("success:waiting for VM")
        expect(d.registry.allowance(["new"])).toBe(1n)
        yield* d.start("new:vm", 3n)
        yield* d.write("new:vm", "booted\n", T0)
        expect(replyText(yield* next(conn))).toBe(`data:${T0}:booted`)
        const again = yield* d.ask(subscribeCmd("new:vm", count(10)))
        expect(again.reply).toBe("success:subscribed")
        expect(replyText(yield* next(again.conn))).toBe(`data:${T0}:booted`)
      })
    ))

  it("a restarted unikernel keeps its history and its subscribers", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        yield* d.start(":r")
        yield* d.write(":r", "first life\n", T0)
        const { conn } = yield* d.ask(subscribeCmd(":r", count(5)))
        expect(replyText(yield* next(conn))).toBe(`data:${T0}:first life`)
        yield* d.end(":r")
        expect(d.registry.listInactive([]).map(String)).toEqual([":r"])
        yield* d.start(":r")
        expect(d.registry.listInactive([])).toEqual([])
        yield* d.write(":r", "second life\n", T0 + 1)
        expect(replyText(yield* next(conn))).toBe(`data:${T0 + 1}:second life`)
        const late = yield* d.ask(subscribeCmd(":r", since(0)))
        expect(replyText(yield* next(late.conn))).toBe(`data:${T0}:first life`)
        expect(replyText(yield* next(late.conn))).toBe(`data:${T0 + 1}:second life`)
      })
    ))

  it("list inactive: only inactive consoles with a ring, under the path, relative names, the reference's order", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup()
        for (const n of ["a:x", "a:y", "a:b:z", "a:c:w", "other:q", ":top"]) {
          yield* d.start(n)
          yield* d.end(n)
        }
        yield* d.start("a:running")
        yield* d.ask(subscribeCmd("a:waiting", count(1)))
        const list = (p: string) =>
          Effect.gen(function* () {
            const { conn, reply } = yield* d.ask(command(p, { _tag: "ConsoleListInactive" }))
            expect(yield* ends(conn)).toBe(true)
            return reply
          })
        expect(yield* list(":")).toBe("consoles::top,other:q,a:y,a:x,a:c:w,a:b:z")
        expect(yield* list("a:")).toBe("consoles::y,:x,c:w,b:z")
        expect(yield* list("a:c:")).toBe("consoles::w")
        expect(yield* list("nothing:")).toBe("consoles:")
      })
    ))

  it("a subscriber that does not read loses lines (counted) and delays nobody", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup({ maxQueuedBytes: 64 * 1024 })
        yield* d.start(":busy")
        // a raw client that subscribes and then never reads
        const stuck = net.createConnection(d.socket)
        stuck.write(Buffer.from(encodeFrame(yield* Effect.sync(() => encodeSubscribe(":busy")))))
        stuck.pause()
        yield* Effect.addFinalizer(() => Effect.sync(() => stuck.destroy()))
        const good = (yield* d.ask(subscribeCmd(":busy", count(0)))).conn
        yield* waitFor("two subscribers", () => d.registry.lookup(subscribeCmd(":busy", count(0)).header.name)!.subscribers.length === 2)
        const total = 20000
        const line = (i: number) => `${String(i).padStart(8, "0")} ${"x".repeat(50)}\n`
        let received = 0
        const reading = Effect.gen(function* () {
          while (received < total) {
            const w = replyText(yield* next(good))
            if (w !== `data:${T0}:${line(received).slice(0, -1)}`) return yield* Effect.fail(new Error(`line ${received}: ${w}`))
            received++
          }
          return received
        })
        const fiber = yield* Effect.fork(reading)
        // the good subscriber reads as lines come; the stuck one never does
        for (let i = 0; i < total; i += 500) {
          yield* d.fifos.write(d.fifo(":busy"), Array.from({ length: 500 }, (_, k) => line(i + k)).join(""))
          yield* waitFor("the good subscriber", () => received >= i + 500)
        }
        const got = yield* fiber.await.pipe(Effect.flatten)
        expect(got).toBe(total)
        expect(d.registry.linesLost).toBeGreaterThan(0)
        expect(d.registry.lookup(subscribeCmd(":busy", count(0)).header.name)!.subscribers.length).toBe(2)
        const stuckSub = d.registry.lookup(subscribeCmd(":busy", count(0)).header.name)!.subscribers[1]!
        expect(stuckSub.lost()).toBe(d.registry.linesLost)
        expect(stuckSub.queuedBytes()).toBeLessThanOrEqual(64 * 1024 + 100_000)
      })
    ))

  it("the bytes queued for all subscribers together are bounded too, and released when they go", () =>
    run(
      Effect.gen(function* () {
        const d = yield* setup({ maxQueuedBytes: 64 * 1024 * 1024, maxTotalQueuedBytes: 256 * 1024 })
        yield* d.start(":loud")
        const stuck = Array.from({ length: 3 }, () => {
          const s = net.createConnection(d.socket)
          s.write(Buffer.from(encodeFrame(encodeSubscribe(":loud"))))
          s.pause()
          return s
        })
        const entry = () => d.registry.lookup(subscribeCmd(":loud", count(0)).header.name)!
        yield* waitFor("three subscribers", () => entry().subscribers.length === 3)
        const chunk = Array.from({ length: 500 }, (_, i) => `${String(i).padStart(8, "0")} ${"y".repeat(50)}\n`).join("")
        for (let i = 0; i < 100; i++) yield* d.write(":loud", chunk)
        // every subscriber may exceed the shared bound by at most the one read it got when empty
        expect(d.registry.budget.used).toBeLessThanOrEqual(256 * 1024 + 3 * 60_000)
        expect(d.registry.linesLost).toBeGreaterThan(0)
        for (const s of stuck) s.destroy()
        yield* waitFor("subscribers gone", () => entry().subscribers.length === 0)
        yield* waitFor("budget released", () => d.registry.budget.used === 0)
      })
    ))
})

import { Either } from "effect"
import { encodeWireSync } from "../../src/wire/index.js"
const encodeSubscribe = (n: string) => Either.getOrThrow(encodeWireSync(subscribeCmd(n, count(0))))
