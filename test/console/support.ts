/** Helpers for the albatross-console tests: a daemon on test layers, clients, polling. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either, Layer, Logger, LogLevel, Option, type Scope } from "effect"
import type { Command, ConsoleQuery } from "../../src/domain/command.js"
import { Name } from "../../src/domain/name.js"
import type { Wire } from "../../src/domain/wire.js"
import { fifoPath } from "../../src/daemons/console/handler.js"
import { consoleSocketPath, startConsoleDaemon } from "../../src/daemons/console/main.js"
import { makeManualClock } from "../../src/layers/test/console-clock.js"
import { makeTestFifos } from "../../src/layers/test/console-fifo.js"
import { connectUnix, type Connection } from "../../src/net/connection.js"

export const name = (s: string): Name => Either.getOrThrow(Name.fromString(s))

export const tmpRuntimeDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  fs.mkdirSync(path.join(dir, "util"))
  fs.mkdirSync(path.join(dir, "fifo"))
  return dir
}

export const command = (n: string, cmd: Command, sequence = 0n): Wire => ({
  header: { version: 5, sequence, name: name(n) },
  payload: { _tag: "Command", command: cmd }
})

export const add = (n: string, count: bigint) => command(n, { _tag: "ConsoleAdd", n: count })
export const subscribeCmd = (n: string, query: ConsoleQuery) => command(n, { _tag: "ConsoleSubscribe", query })
export const count = (c: bigint | number): ConsoleQuery => ({ _tag: "Count", count: BigInt(c) })
export const since = (ms: number): ConsoleQuery => ({ _tag: "Since", since: new Date(ms) })

export const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))

/** Real-time pause (the daemon's clock may be manual). */
export const pause = (ms: number) => Effect.promise(() => new Promise<void>((r) => setTimeout(r, ms)))

/** Polls `cond` until it holds, failing after `ms`. */
export const waitFor = (what: string, cond: () => boolean, ms = 5000): Effect.Effect<void, Error> =>
  Effect.gen(function* () {
    const deadline = Date.now() + ms
    while (!cond()) {
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
      yield* pause(5)
    }
  })

/** The next message, failing on end of stream or after `ms` (real time). */
export const next = (conn: Connection, ms = 5000): Effect.Effect<Wire, Error> =>
  Effect.raceFirst(
    conn.readWireUntimed.pipe(
      Effect.mapError((e) => new Error(e.message)),
      Effect.flatMap((w) => (Option.isSome(w) ? Effect.succeed(w.value) : Effect.fail(new Error("end of stream"))))
    ),
    Effect.zipRight(pause(ms), Effect.fail(new Error(`no message within ${ms} ms`)))
  )

/** Whether the peer ends the stream within `ms` (real time). */
export const ends = (conn: Connection, ms = 5000): Effect.Effect<boolean> =>
  Effect.race(
    conn.readWireUntimed.pipe(Effect.map(Option.isNone), Effect.orElseSucceed(() => true)),
    Effect.as(pause(ms), false)
  )

export const replyText = (w: Wire): string =>
  w.payload._tag === "Success"
    ? w.payload.success._tag === "String"
      ? `success:${w.payload.success.message}`
      : w.payload.success._tag === "Consoles"
        ? `consoles:${w.payload.success.consoles.map((c) => c.toString()).join(",")}`
        : `success:${w.payload.success._tag}`
    : w.payload._tag === "Failure"
      ? `failure:${w.payload.message}`
      : w.payload._tag === "Data" && w.payload.data._tag === "ConsoleData"
        ? `data:${new Date(w.payload.data.timestamp).getTime()}:${Buffer.from(w.payload.data.line).toString("latin1")}`
        : w.payload._tag

/** A console daemon on test FIFOs and a manual clock, in a fresh runtime directory. */
export const setup = (
  options: { maxSubscribers?: number; maxQueuedBytes?: number; maxTotalQueuedBytes?: number; startMs?: number } = {}
) =>
  Effect.gen(function* () {
    const dir = tmpRuntimeDir("console-daemon-")
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const { fifos, layer } = yield* makeTestFifos
    const clock = makeManualClock(options.startMs ?? Date.UTC(2026, 10, 22, 8, 0, 0))
    const registry = yield* startConsoleDaemon({
      tmpdir: dir,
      maxSubscribers: options.maxSubscribers ?? 5,
      systemdSocketActivation: false,
      ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
      ...(options.maxTotalQueuedBytes === undefined ? {} : { maxTotalQueuedBytes: options.maxTotalQueuedBytes })
    }).pipe(Effect.provide(Layer.mergeAll(layer, clock.layer, Logger.minimumLogLevel(LogLevel.None))))
    const socket = consoleSocketPath(dir)
    const connect = connectUnix(socket)
    const fifo = (n: string) => fifoPath(dir, name(n))
    /** A connection that sent `wire` and got its first reply. */
    const ask = (wire: Wire) =>
      Effect.gen(function* () {
        const conn = yield* connect
        yield* conn.writeWire(wire)
        return { conn, reply: replyText(yield* next(conn)) }
      })
    /** Creates the FIFO and announces the unikernel, as albatrossd does. */
    const start = (n: string, allowance = 5n, link?: Connection) =>
      Effect.gen(function* () {
        yield* fifos.create(fifo(n))
        const conn = link ?? (yield* connect)
        yield* conn.writeWire(add(n, allowance))
        const reply = replyText(yield* next(conn))
        if (reply !== "success:Empty") return yield* Effect.fail(new Error(`Console_add ${n}: ${reply}`))
        return conn
      })
    /** One read of the reader (at time `ms` if given); waits until the reader took its lines. */
    const write = (n: string, data: string, ms?: number) =>
      Effect.gen(function* () {
        if (ms !== undefined) clock.set(ms)
        const lines = data.split("\n").slice(0, -1).filter((l) => l !== "").length
        const before = registry.lookup(name(n))?.linesRead ?? 0
        yield* fifos.write(fifo(n), data)
        yield* waitFor(`${lines} lines into ${n}`, () => (registry.lookup(name(n))?.linesRead ?? 0) >= before + lines)
      })
    const end = (n: string) =>
      Effect.gen(function* () {
        yield* fifos.close(fifo(n))
        yield* waitFor(`${n} inactive`, () => registry.lookup(name(n))?.active === false)
      })
    return { dir, fifos, clock, registry, socket, connect, ask, start, write, end, fifo }
  })
