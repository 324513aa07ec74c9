/**
 * albatross-stats with deterministic sources, over real Unix sockets: the link to a stand-in
 * albatrossd, the replies of spec §8.2, subscriptions and relative names, dropping vanished
 * processes, VMM open attempts, bad input.
 */
import * as net from "node:net"
import { Duration, Effect, Either, Layer, Logger, LogLevel, Queue } from "effect"
import { describe, expect, it } from "vitest"
import { connectUnix, type Connection } from "../../src/net/connection.js"
import { serveUnix } from "../../src/net/server.js"
import { startStatsDaemon, statSocketPath, vmmdSocketPath } from "../../src/daemons/stats/main.js"
import { ifDataOf, makeTestInterfaces } from "../../src/layers/test/interface-stats.js"
import { makeTestProcesses, sampleOf } from "../../src/layers/test/process-stats.js"
import { makeTestVmms } from "../../src/layers/test/vmm-stats.js"
import { FrameDecoder } from "../../src/wire/framing.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { successEmpty, successString } from "../../src/wire/reply.js"
import { command, ends, name, next, replyText, statsOf, tmpRuntimeDir } from "./support.js"

/** Wait (up to 5 s) until `condition` holds; the daemon works on its own fibers. */
const eventually = (condition: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 250 && !condition(); i++) yield* Effect.sleep(Duration.millis(20))
    expect(condition()).toBe(true)
  })

const setup = (options: { gatherBhyve?: boolean; interval?: number; interfacesInPlace?: boolean } = {}) => {
  const dir = tmpRuntimeDir("stats-daemon-")
  const processes = makeTestProcesses()
  const interfaces = makeTestInterfaces({ inPlace: options.interfacesInPlace ?? false })
  const vmms = makeTestVmms()
  /** The daemon's warnings and errors, as "LEVEL message". */
  const logs: Array<string> = []
  const captured = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      logs.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
    })
  )
  const layer = Layer.mergeAll(processes.layer, interfaces.layer, vmms.layer, captured, Logger.minimumLogLevel(LogLevel.Warning))
  const start = startStatsDaemon({
    tmpdir: dir,
    interval: Duration.millis(options.interval ?? 100),
    gatherBhyve: options.gatherBhyve ?? false,
    systemdSocketActivation: false
  }).pipe(Effect.provide(layer))
  return { dir, processes, interfaces, vmms, start, logs }
}

const run = <A>(effect: Effect.Effect<A, unknown, import("effect").Scope.Scope>) =>
  Effect.runPromise(Effect.scoped(effect) as Effect.Effect<A>)

/** Send a command on a fresh connection to stat.sock and return the reply text. */
const ask = (dir: string, wire: Parameters<Connection["writeWire"]>[0]) =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* connectUnix(statSocketPath(dir))
      yield* conn.writeWire(wire)
      return replyText(yield* next(conn))
    })
  )

const subscribe = (dir: string, n: string) =>
  Effect.gen(function* () {
    const conn = yield* connectUnix(statSocketPath(dir))
    yield* conn.writeWire(command(n, { _tag: "StatsSubscribe" }))
    expect(replyText(yield* next(conn))).toBe("success:subscribed")
    return conn
  })

const add = (dir: string, n: string, pid: number, taps: ReadonlyArray<{ bridge: string; tap: string }> = [], vmmdev = "") =>
  ask(dir, command(n, { _tag: "StatsAdd", vmmdev, pid, taps }, 7n))

describe("albatross-stats commands on stat.sock", () => {
  it("Stats_add / Stats_remove / Stats_subscribe answer added / removed / subscribed, echoing the header", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        yield* t.start
        t.processes.set(100, sampleOf(1))
        const conn = yield* connectUnix(statSocketPath(t.dir))
        yield* conn.writeWire(command(":web", { _tag: "StatsAdd", vmmdev: "", pid: 100, taps: [] }, 42n))
        const added = yield* next(conn)
        expect(added).toEqual(successString({ version: 5, sequence: 42n, name: name(":web") }, "added"))
        yield* conn.writeWire(command(":web", { _tag: "StatsRemove" }, 43n))
        expect(yield* next(conn)).toEqual(successString({ version: 5, sequence: 43n, name: name(":web") }, "removed"))
        // removing again is answered the same way (the reference only logs "no pid found")
        yield* conn.writeWire(command(":web", { _tag: "StatsRemove" }, 44n))
        expect(replyText(yield* next(conn))).toBe("success:removed")
      })
    ))

  it("Stats_initial, other commands and undecodable frames get a Failure and the connection is closed", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        yield* t.start
        for (const [wire, text] of [
          [command(":", { _tag: "StatsInitial" }), "failure:unexpected message initial"],
          [command(":x", { _tag: "UnikernelInfo" }), "failure:unexpected command"],
          [command(":x", { _tag: "ConsoleListInactive" }), "failure:unexpected command"]
        ] as const) {
          const conn = yield* connectUnix(statSocketPath(t.dir))
          yield* conn.writeWire(wire)
          expect(replyText(yield* next(conn))).toBe(text)
          expect(yield* ends(conn)).toBe(true)
        }
        const conn = yield* connectUnix(statSocketPath(t.dir))
        yield* conn.writeFrame(Uint8Array.from([0x30, 0x03, 0x02, 0x01]))
        const reply = yield* next(conn)
        expect(reply.payload._tag).toBe("Failure")
        expect(reply.header.name.toString()).toBe(":")
        expect(yield* ends(conn)).toBe(true)
        // still serving
        expect(yield* ask(t.dir, command(":ok", { _tag: "StatsRemove" }))).toBe("success:removed")
      })
    ))
})

describe("sampling", () => {
  it("sends Data(Stats_data) to subscribers at the name or an ancestor path, the name relative to the subscriber's path", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        yield* t.start
        t.processes.set(100, sampleOf(100))
        t.processes.set(200, sampleOf(200))
        t.interfaces.set("tap0", ifDataOf("tap0", 1))
        t.interfaces.set("tap1", ifDataOf("tap1", 2))
        expect(yield* add(t.dir, "alice:web", 100, [{ bridge: "net0", tap: "tap0" }, { bridge: "net1", tap: "tap1" }, { bridge: "net2", tap: "nosuchtap" }])).toBe("success:added")
        expect(yield* add(t.dir, "bob:db", 200)).toBe("success:added")
        const root = yield* subscribe(t.dir, ":")
        const alicePath = yield* subscribe(t.dir, "alice:")
        const aliceWeb = yield* subscribe(t.dir, "alice:web")

        const fromRoot = new Map<string, ReturnType<typeof statsOf>>()
        while (fromRoot.size < 2) {
          const w = yield* next(root)
          expect(w.header.sequence).toBe(0n)
          fromRoot.set(w.header.name.toString(), statsOf(w))
        }
        expect([...fromRoot.keys()].sort()).toEqual(["alice:web", "bob:db"])
        const web = fromRoot.get("alice:web")!
        expect(web.rusage).toEqual(sampleOf(100).rusage)
        expect(web.kinfoMem).toEqual(sampleOf(100).kinfoMem)
        expect(web.vmm).toBeNull()
        // unikernel-side names, last to first like the reference; the unknown tap was dropped at Stats_add
        expect(web.ifdata).toEqual([
          { ...ifDataOf("tap1", 2), bridge: "net1" },
          { ...ifDataOf("tap0", 1), bridge: "net0" }
        ])
        const a = yield* next(alicePath)
        expect(a.header.name.toString()).toBe(":web")
        const b = yield* next(aliceWeb)
        expect(b.header.name.toString()).toBe(":web")
        // bob's unikernel never reaches alice's subscribers
        for (let i = 0; i < 3; i++) {
          expect((yield* next(alicePath)).header.name.toString()).toBe(":web")
          expect((yield* next(aliceWeb)).header.name.toString()).toBe(":web")
        }
      })
    ))

  for (const inPlace of [false, true])
    it(`an interface that fails is left out of that message, with a warning; the others go on (${inPlace ? "read in place" : "through sample"})`, () =>
      run(
        Effect.gen(function* () {
          const t = setup({ interfacesInPlace: inPlace })
          yield* t.start
          t.processes.set(100, sampleOf(100))
          t.interfaces.set("tap0", ifDataOf("tap0", 1))
          t.interfaces.set("tap1", ifDataOf("tap1", 2))
          expect(yield* add(t.dir, "a:web", 100, [{ bridge: "net0", tap: "tap0" }, { bridge: "net1", tap: "tap1" }])).toBe("success:added")
          const sub = yield* subscribe(t.dir, ":")
          expect(statsOf(yield* next(sub)).ifdata).toEqual([
            { ...ifDataOf("tap1", 2), bridge: "net1" },
            { ...ifDataOf("tap0", 1), bridge: "net0" }
          ])
          t.interfaces.remove("tap1")
          t.interfaces.set("tap0", ifDataOf("tap0", 5))
          // the message of the tick in flight may still have both
          let w = statsOf(yield* next(sub))
          if (w.ifdata.length === 2) w = statsOf(yield* next(sub))
          expect(w.ifdata).toEqual([{ ...ifDataOf("tap0", 5), bridge: "net0" }])
          expect(w.rusage).toEqual(sampleOf(100).rusage)
          // the source's error text, once (it names the tap and the reason)
          expect(t.logs).toContain("WARN failed to get ifdata for tap1")
        })
      ))

  it("what the tick's encoder leaves to the generic codec still goes out (a non-ASCII netif), what no codec can encode is skipped", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        yield* t.start
        t.processes.set(100, sampleOf(1))
        // beyond Int64: no encoder takes it; the message is logged and skipped, the others go on
        const huge = sampleOf(2)
        t.processes.set(200, { ...huge, rusage: { ...huge.rusage, minflt: 2n ** 64n } })
        t.interfaces.set("tap0", ifDataOf("tap0", 1))
        yield* add(t.dir, "a:uml", 100, [{ bridge: "nét0", tap: "tap0" }])
        yield* add(t.dir, "a:huge", 200)
        const sub = yield* subscribe(t.dir, "a:")
        for (let i = 0; i < 3; i++) {
          const w = yield* next(sub)
          expect(w.header.name.toString()).toBe(":uml")
          expect(statsOf(w).ifdata).toEqual([{ ...ifDataOf("tap0", 1), bridge: "nét0" }])
          expect(statsOf(w).rusage).toEqual(sampleOf(1).rusage)
        }
      })
    ))

  it("only subscribed unikernels are sampled; a vanished process is dropped with a log line, the daemon goes on", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        const registry = yield* t.start
        t.processes.set(100, sampleOf(1))
        t.processes.set(200, sampleOf(2))
        yield* add(t.dir, "a:one", 100)
        yield* add(t.dir, "b:two", 200)
        yield* add(t.dir, "b:gone-before", 999)
        t.processes.kill(100)
        yield* Effect.sleep(Duration.millis(350))
        // nobody listens to a:, so a:one was not sampled and is still registered
        expect(registry.size().registrations).toBe(3)
        const sub = yield* subscribe(t.dir, "b:")
        expect((yield* next(sub)).header.name.toString()).toBe(":two")
        // b:gone-before never existed: dropped at its first sampling
        yield* eventually(() => registry.size().registrations === 2)
        t.processes.kill(200)
        yield* eventually(() => registry.size().registrations === 1)
        const root = yield* subscribe(t.dir, ":")
        // a:one is now subscribed, found gone and dropped; nothing was sent for it
        yield* eventually(() => registry.size().registrations === 0)
        for (const [pid, n] of [[999, "b:gone-before"], [200, "b:two"], [100, "a:one"]] as const)
          expect(t.logs).toContain(`ERROR failed to get rusage for ${pid} (${n}): no such process ${pid}; dropping it`)
        expect(t.processes.openWatches()).toBe(0)
        const silent = yield* Effect.either(next(root, 300))
        expect(Either.isLeft(silent)).toBe(true)
        expect(yield* add(t.dir, "c:new", 300)).toBe("success:added")
      })
    ))

  it("a second subscriber at the same name replaces the first, whose connection is closed", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        yield* t.start
        t.processes.set(1, sampleOf(1))
        yield* add(t.dir, ":x", 1)
        const first = yield* subscribe(t.dir, ":x")
        yield* next(first)
        const second = yield* subscribe(t.dir, ":x")
        expect(yield* ends(first)).toBe(true)
        expect((yield* next(second)).header.name.toString()).toBe(":x")
      })
    ))

  it("a subscriber that goes away is forgotten and does not disturb the others", () =>
    run(
      Effect.gen(function* () {
        const t = setup({ interval: 50 })
        const registry = yield* t.start
        t.processes.set(1, sampleOf(1))
        yield* add(t.dir, ":x", 1)
        const keep = yield* subscribe(t.dir, ":")
        const leaving = yield* subscribe(t.dir, ":x")
        yield* next(leaving)
        yield* leaving.close
        yield* eventually(() => registry.size().subscriptions === 1)
        for (let i = 0; i < 3; i++) yield* next(keep)
      })
    ))

  it("--gather-bhyve-stats: four open attempts, one per tick, then given up; an openable device reports its counters", () =>
    run(
      Effect.gen(function* () {
        const t = setup({ gatherBhyve: true, interval: 50 })
        yield* t.start
        t.processes.set(1, sampleOf(1))
        t.processes.set(2, sampleOf(2))
        t.vmms.set("solo5-2", [{ key: "vm exits", value: 5n }])
        yield* add(t.dir, ":nodev", 1, [], "solo5-1")
        yield* add(t.dir, ":dev", 2, [], "solo5-2")
        const sub = yield* subscribe(t.dir, ":")
        yield* eventually(() => t.vmms.attempts("solo5-1") >= 4)
        // several more ticks: no fifth attempt, and the open device is not opened again
        for (let i = 0; i < 10; i++) yield* next(sub)
        expect(t.vmms.attempts("solo5-1")).toBe(4)
        expect(t.vmms.attempts("solo5-2")).toBe(1)
        const seen = new Map<string, unknown>()
        while (seen.size < 2) {
          const w = yield* next(sub)
          seen.set(w.header.name.toString(), statsOf(w).vmm)
        }
        expect(seen.get(":dev")).toEqual([{ key: "vm exits", value: 5n }])
        expect(seen.get(":nodev")).toBeNull()
      })
    ))
})

describe("the link to albatrossd", () => {
  it("sends Stats_initial, serves Stats_add from albatrossd, and after a drop forgets registrations and reconnects", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        // a stand-in albatrossd: hands every connection from albatross-stats to the test
        const links = yield* Queue.unbounded<Connection>()
        yield* serveUnix({ path: vmmdSocketPath(t.dir) }, (conn) =>
          Effect.zipRight(Queue.offer(links, conn), conn.closed)
        )
        const registry = yield* t.start
        t.processes.set(100, sampleOf(5))
        const link = yield* Queue.take(links)
        const initial = yield* next(link)
        expect(initial).toEqual(command(":", { _tag: "StatsInitial" }, 0n))
        yield* link.writeWire(successEmpty(initial.header))
        yield* link.writeWire(command(":web", { _tag: "StatsAdd", vmmdev: "", pid: 100, taps: [] }, 1n))
        expect(yield* next(link)).toEqual(successString({ version: 5, sequence: 1n, name: name(":web") }, "added"))
        const sub = yield* subscribe(t.dir, ":")
        expect(statsOf(yield* next(sub)).rusage).toEqual(sampleOf(5).rusage)

        // albatrossd goes away: registrations are forgotten, the subscription stays
        yield* link.close
        const again = yield* Queue.take(links).pipe(Effect.timeout(Duration.seconds(3)))
        expect(registry.size()).toEqual({ registrations: 0, subscriptions: 1 })
        const initial2 = yield* next(again)
        expect(initial2.payload).toEqual({ _tag: "Command", command: { _tag: "StatsInitial" } })
        yield* again.writeWire(successEmpty(initial2.header))
        yield* again.writeWire(command(":web", { _tag: "StatsAdd", vmmdev: "", pid: 100, taps: [] }, 2n))
        expect(replyText(yield* next(again))).toBe("success:added")
        expect((yield* next(sub)).header.name.toString()).toBe(":web")
      })
    ))

  it("failed attempts to reach albatrossd forget nothing registered on stat.sock", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        const registry = yield* t.start
        t.processes.set(1, sampleOf(1))
        yield* add(t.dir, ":manual", 1)
        const sub = yield* subscribe(t.dir, ":")
        // several reconnect attempts (one per second) to a vmmd.sock that does not exist
        yield* Effect.sleep(Duration.millis(2500))
        expect(registry.size().registrations).toBe(1)
        expect((yield* next(sub)).header.name.toString()).toBe(":manual")
      })
    ))

  it("a wrong reply to Stats_initial drops the link and it is tried again", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        const links = yield* Queue.unbounded<Connection>()
        yield* serveUnix({ path: vmmdSocketPath(t.dir) }, (conn) => Effect.zipRight(Queue.offer(links, conn), conn.closed))
        yield* t.start
        const first = yield* Queue.take(links)
        const initial = yield* next(first)
        yield* first.writeWire(successString(initial.header, "nope"))
        expect(yield* ends(first)).toBe(true)
        const second = yield* Queue.take(links).pipe(Effect.timeout(Duration.seconds(3)))
        expect((yield* next(second)).payload).toEqual({ _tag: "Command", command: { _tag: "StatsInitial" } })
      })
    ))

  it("a frame larger than the limit on stat.sock is refused with a Failure and the connection closed", () =>
    run(
      Effect.gen(function* () {
        const t = setup()
        yield* t.start
        const { reply, closed } = yield* Effect.promise(
          () =>
            new Promise<{ reply: Buffer; closed: boolean }>((resolve) => {
              const socket = net.createConnection({ path: statSocketPath(t.dir) })
              const chunks: Array<Buffer> = []
              socket.on("data", (c) => chunks.push(c))
              socket.on("close", () => resolve({ reply: Buffer.concat(chunks), closed: true }))
              // a length prefix announcing 2 GiB - 1
              socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x30]))
            })
        )
        expect(closed).toBe(true)
        const decoder = new FrameDecoder(1 << 20)
        const frames = decoder.push(reply)
        expect(frames.length).toBe(1)
        const wire = Either.getOrThrow(decodeWireSync(frames[0]!))
        expect(wire.header.name.toString()).toBe(":")
        expect(wire.payload._tag).toBe("Failure")
      })
    ))
})
