/**
 * Helpers for the albatrossd tests: a temporary runtime directory, a stand-in albatross-console
 * on console.sock, the daemon started on the fake host, and a client that sends one request
 * per connection like albatross-client does.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Either, ExecutionStrategy, Exit, Option, Scope } from "effect"
import type { Command } from "../../src/domain/command.js"
import { Name } from "../../src/domain/name.js"
import type { UnikernelConfig } from "../../src/domain/unikernel.js"
import type { PersistedState, Wire } from "../../src/domain/wire.js"
import { type Connection, connectUnix } from "../../src/net/connection.js"
import { serveUnix } from "../../src/net/server.js"
import type { Daemon } from "../../src/daemons/albatrossd/daemon.js"
import { defaultOptions, type DaemonOptions } from "../../src/daemons/albatrossd/options.js"
import { consoleSocketPath, startDaemon, vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { failure, success } from "../../src/wire/reply.js"
import { type FakeHost, makeFakeHost } from "./fake-host.js"

export const tmpRuntimeDir = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  fs.mkdirSync(path.join(dir, "util"))
  fs.mkdirSync(path.join(dir, "fifo"))
  return dir
}

export const name = (s: string): Name => Either.getOrThrow(Name.fromString(s))

export const command = (n: string, cmd: Command, sequence = 0n): Wire => ({
  header: { version: 5, sequence, name: name(n) },
  payload: { _tag: "Command", command: cmd }
})

export const replyText = (w: Wire): string =>
  w.payload._tag === "Success" && w.payload.success._tag === "String"
    ? `success:${w.payload.success.message}`
    : w.payload._tag === "Failure"
      ? `failure:${w.payload.message}`
      : w.payload._tag === "Success"
        ? `success:${w.payload.success._tag}`
        : w.payload._tag

/** A real-time pause (the tests run on TestClock; this lets socket I/O and other fibers progress). */
export const tick = (ms = 2) => Effect.promise(() => new Promise<void>((r) => setTimeout(r, ms)))

/** Poll `cond` in real time until it holds; fails after ~5 s. */
export const waitUntil = (what: string, cond: () => boolean): Effect.Effect<void, Error> =>
  Effect.gen(function* () {
    for (let i = 0; i < 2500; i++) {
      if (cond()) return
      yield* tick()
    }
    return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
  })

/** The next message on `conn`; None at the end of the stream. */
export const readNext = (conn: Connection) => Effect.orDie(conn.readWireUntimed)

export const config = (overrides: Partial<UnikernelConfig> = {}): UnikernelConfig => ({
  typ: "solo5",
  compressed: false,
  image: new TextEncoder().encode("not really an ELF, the fake host does not look"),
  failBehaviour: { _tag: "Quit" },
  startup: null,
  addName: false,
  cpuids: [0],
  memory: 32,
  blockDevices: [],
  bridges: [],
  argv: null,
  numcpus: 1,
  linuxBootPartition: null,
  ...overrides
})

export interface ConsolePeer {
  /** Stop listening and drop every connection (albatross-console going away). */
  readonly stop: Effect.Effect<void>
  /** Names in the Console_add requests received, in order. */
  readonly added: Array<{ name: string; n: bigint; sequence: bigint }>
  /** When set, Console_add is answered with this Failure. */
  refuse: string | undefined
}

/** A minimal albatross-console: answers Console_add with Success (or a Failure when told). */
export const consolePeer = (dir: string): Effect.Effect<ConsolePeer, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const peer: ConsolePeer = { added: [], refuse: undefined, stop: Scope.close(scope, Exit.void) }
    yield* Scope.extend(serveUnix({ path: consoleSocketPath(dir) }, (conn) =>
      Effect.gen(function* () {
        for (;;) {
          const w = yield* Effect.either(conn.readWireUntimed)
          if (Either.isLeft(w) || Option.isNone(w.right)) return
          const { header, payload } = w.right.value
          if (payload._tag === "Command" && payload.command._tag === "ConsoleAdd") {
            peer.added.push({ name: header.name.toString(), n: payload.command.n, sequence: header.sequence })
            yield* Effect.ignore(
              conn.writeWire(peer.refuse === undefined ? success(header, { _tag: "Empty" }) : failure(header, peer.refuse))
            )
          }
        }
      })
    ), scope)
    return peer
  })

export interface Setup {
  readonly dir: string
  readonly fake: FakeHost
  readonly daemon: Daemon
  readonly console: ConsolePeer
  /** One request on a fresh connection; the reply. */
  readonly ask: (n: string, cmd: Command, sequence?: bigint) => Effect.Effect<Wire, Error>
  /** Like `ask`, the reply rendered by `replyText`. */
  readonly say: (n: string, cmd: Command, sequence?: bigint) => Effect.Effect<string, Error>
}

export const askAt = (dir: string) => (n: string, cmd: Command, sequence = 0n): Effect.Effect<Wire, Error> =>
  Effect.scoped(
    Effect.gen(function* () {
      const conn = yield* connectUnix(vmmdSocketPath(dir))
      yield* conn.writeWire(command(n, cmd, sequence))
      const r = yield* conn.readWireUntimed
      if (Option.isNone(r)) return yield* Effect.fail(new Error("connection closed without a reply"))
      return r.value
    })
  ).pipe(Effect.mapError((e) => new Error(e.message)))

export const setup = (
  opts: {
    options?: (o: DaemonOptions) => DaemonOptions
    state?: PersistedState
    blocks?: ReadonlyArray<{ name: string; size: number }>
    fake?: FakeHost
    dir?: string
  } = {}
): Effect.Effect<Setup, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = opts.dir ?? tmpRuntimeDir("albatrossd-")
    const fake = opts.fake ?? makeFakeHost({ ...(opts.state === undefined ? {} : { state: opts.state }), ...(opts.blocks === undefined ? {} : { blocks: opts.blocks }) })
    const console = yield* consolePeer(dir)
    const base = { ...defaultOptions(dir, path.join(dir, "db")), consoleTimeout: Duration.seconds(5) }
    const options = opts.options === undefined ? base : opts.options(base)
    const daemon = yield* Effect.provide(startDaemon(options), fake.layer)
    const ask = askAt(dir)
    return { dir, fake, daemon, console, ask, say: (n, cmd, seq) => Effect.map(ask(n, cmd, seq), replyText) }
  })

export const create = (cfg: UnikernelConfig = config()): Command => ({ _tag: "UnikernelCreate", config: cfg })
export const destroy: Command = { _tag: "UnikernelDestroy" }
export const infoCmd: Command = { _tag: "UnikernelInfo" }
