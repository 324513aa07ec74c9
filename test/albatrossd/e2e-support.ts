/**
 * End-to-end helpers: the built albatrossd as a child process, a minimal albatross-console
 * stand-in (answers Console_add with Success after opening the FIFO, and keeps what the
 * unikernel printed), and a client speaking the real protocol over the real socket.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Effect, Either, Option } from "effect"
import type { Command } from "../../src/domain/command.js"
import type { Wire } from "../../src/domain/wire.js"
import { connectUnix, fromDuplex } from "../../src/net/connection.js"
import { consoleSocketPath, vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { success } from "../../src/wire/reply.js"
import { command } from "./support.js"

export const DAEMON = path.resolve(__dirname, "../../dist/bin/albatrossd.js")

export const requireBuild = () => {
  if (!fs.existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: run \`npm run build\` before the end-to-end tests`)
}

export interface RunningDaemon {
  readonly child: ChildProcess
  /** Everything written on stderr so far. */
  readonly log: () => string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export const waitFor = async (what: string, cond: () => boolean, ms = 15000): Promise<void> => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A built entry point, `dist/bin/<name>.js`. */
export const builtBin = (name: string): string => path.resolve(__dirname, `../../dist/bin/${name}.js`)

/** Start the built daemon (optionally through a prefix such as `ip netns exec NS`) and wait until it listens. */
export const startDaemon = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  prefix: ReadonlyArray<string> = []
): Promise<RunningDaemon> => startBuilt(DAEMON, args, env, prefix)

/** Start any built daemon (`bin`, see builtBin) and wait until it logs that it listens. */
export const startBuilt = async (
  bin: string,
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  prefix: ReadonlyArray<string> = []
): Promise<RunningDaemon> => {
  const what = path.basename(bin, ".js")
  const argv = [...prefix, process.execPath, bin, ...args]
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "ignore", "pipe"] })
  let log = ""
  child.stderr!.on("data", (c: Buffer) => {
    log += c.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  let gone = false
  void exited.then(() => {
    gone = true
  })
  try {
    await waitFor(`${what} to listen`, () => gone || log.includes("listening on"))
  } catch (e) {
    child.kill("SIGKILL") // never leave a daemon behind that the caller has no handle on
    throw new Error(`${(e as Error).message}; its log:\n${log}`)
  }
  if (gone) throw new Error(`${what} exited at start:\n${log}`)
  return { child, log: () => log, exited }
}

export interface ConsoleStandIn {
  /** Output read from each unikernel's FIFO, by name. */
  readonly output: Map<string, string>
  readonly added: Array<string>
  readonly close: () => Promise<void>
}

/** A minimal albatross-console: on Console_add it opens `<tmpdir>/fifo/<name>` for reading, then answers Success. */
export const startConsole = async (tmpdir: string): Promise<ConsoleStandIn> => {
  const output = new Map<string, string>()
  const added: Array<string> = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    void Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const conn = yield* fromDuplex(socket)
          for (;;) {
            const w = yield* Effect.either(conn.readWireUntimed)
            if (Either.isLeft(w) || Option.isNone(w.right)) return
            const { header, payload } = w.right.value
            if (payload._tag !== "Command" || payload.command._tag !== "ConsoleAdd") continue
            const n = header.name.toString()
            added.push(n)
            const fd = fs.openSync(path.join(tmpdir, "fifo", n), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
            const reader = new net.Socket({ fd, readable: true, writable: false })
            output.set(n, output.get(n) ?? "")
            reader.on("data", (c: Buffer) => output.set(n, (output.get(n) ?? "") + c.toString()))
            reader.on("error", () => {})
            yield* conn.writeWire(success(header, { _tag: "Empty" }))
          }
        })
      ).pipe(Effect.catchAll(() => Effect.void))
    )
  })
  await new Promise<void>((resolve) => server.listen(consoleSocketPath(tmpdir), resolve))
  return {
    output,
    added,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** One request on a fresh connection to vmmd.sock; the reply. */
export const request = (tmpdir: string, name: string, cmd: Command): Promise<Wire> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const conn = yield* connectUnix(vmmdSocketPath(tmpdir))
        yield* conn.writeWire(command(name, cmd))
        const r = yield* conn.readWireUntimed
        if (Option.isNone(r)) return yield* Effect.fail(new Error("no reply"))
        return r.value
      })
    ).pipe(Effect.mapError((e) => new Error(e.message)))
  )

/** Pids of processes whose command line mentions `needle` (our temporary directory). */
export const pidsMentioning = (needle: string): Array<number> => {
  const pids: Array<number> = []
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "latin1")
      if (cmdline.includes(needle) && !cmdline.includes("albatrossd.js")) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}
