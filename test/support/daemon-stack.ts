/**
 * The three built local daemons as child processes on a throwaway directory: albatross-console,
 * albatrossd (with the fake tender installed as its solo5-hvt in dbdir) and albatross-stats,
 * started in the order an operator's units start them (albatrossd connects to console.sock when
 * a unikernel is created; albatross-stats connects to vmmd.sock). `stop` ends every process
 * started here (daemons, tenders, clients: everything whose command line names the directory)
 * and removes the directory; it is safe to call after a failed or partial start.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { builtBin, pidsMentioning, type RunningDaemon, startBuilt } from "../albatrossd/e2e-support.js"
import { type ClientRun, type ClientStream, runBinary, streamBinary } from "../cli/support/run-client.js"
import { installFakeTender } from "../fixtures/fake-tender/install.js"

export const STACK_DAEMONS = ["albatross-console", "albatrossd", "albatross-stats"] as const
export type StackDaemon = (typeof STACK_DAEMONS)[number]

export interface DaemonStack {
  readonly root: string
  /** --tmpdir: sockets in util/, console FIFOs in fifo/. */
  readonly tmpdir: string
  /** --dbdir: state file, block devices, the tender. */
  readonly dbdir: string
  /** Starts the daemons (once). */
  readonly start: (extra?: Partial<Record<StackDaemon, ReadonlyArray<string>>>) => Promise<void>
  readonly daemon: (name: StackDaemon) => RunningDaemon
  /** Every daemon's stderr so far, for failure messages. */
  readonly logs: () => string
  /** The built albatross-client with `--tmpdir` of this stack and this stack's root as its $TMPDIR (where dumps go). */
  readonly client: (...args: ReadonlyArray<string>) => Promise<ClientRun>
  /** The same, returning at once (console and stats streams); `stop` kills it if it still runs. */
  readonly streamClient: (...args: ReadonlyArray<string>) => Promise<ClientStream>
  /** A client run and the daemons' logs, as an assertion message. */
  readonly shown: (run: ClientRun) => string
  readonly stop: () => Promise<void>
}

/** Fails with a clear message when a built entry point is missing. */
export const requireBuilt = (names: ReadonlyArray<string>): void => {
  for (const name of names) {
    const bin = builtBin(name)
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` before the end-to-end tests (npm test does)`)
  }
}

export interface StackOptions {
  readonly env?: NodeJS.ProcessEnv
  /** A command the daemons run through, such as `ip netns exec NS` (the client stays outside: Unix sockets are files). */
  readonly wrap?: ReadonlyArray<string>
}

/** A stack on a fresh directory under the system temporary directory; nothing runs until `start`. */
export const daemonStack = (prefix: string, options: StackOptions = {}): DaemonStack => {
  const env = options.env ?? process.env
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const tmpdir = path.join(root, "run")
  const dbdir = path.join(root, "db")
  for (const d of ["util", "fifo"]) fs.mkdirSync(path.join(tmpdir, d), { recursive: true })
  fs.mkdirSync(path.join(dbdir, "block"), { recursive: true })
  installFakeTender(dbdir, ["solo5-hvt"])
  const running = new Map<StackDaemon, RunningDaemon>()
  const streams: Array<ClientStream> = []
  const clientEnv = { TMPDIR: root }

  const args: Record<StackDaemon, ReadonlyArray<string>> = {
    "albatross-console": ["--tmpdir", tmpdir],
    albatrossd: ["--tmpdir", tmpdir, "--dbdir", dbdir],
    "albatross-stats": ["--tmpdir", tmpdir]
  }

  const logs = () => [...running.entries()].map(([name, d]) => `--- ${name}\n${d.log()}`).join("\n")

  return {
    root,
    tmpdir,
    dbdir,
    start: async (extra = {}) => {
      requireBuilt(STACK_DAEMONS)
      for (const name of STACK_DAEMONS) {
        running.set(name, await startBuilt(builtBin(name), [...args[name], ...(extra[name] ?? [])], env, options.wrap))
      }
    },
    daemon: (name) => {
      const d = running.get(name)
      if (d === undefined) throw new Error(`${name} is not running`)
      return d
    },
    logs,
    client: (...clientArgs) => runBinary([...clientArgs, "--tmpdir", tmpdir], clientEnv),
    streamClient: async (...clientArgs) => {
      const s = await streamBinary([...clientArgs, "--tmpdir", tmpdir], clientEnv)
      streams.push(s)
      return s
    },
    shown: (r) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\n${logs()}`,
    stop: async () => {
      for (const s of streams) s.kill("SIGKILL")
      for (const [, d] of [...running.entries()].reverse()) {
        d.child.kill("SIGTERM")
        const stopped = await Promise.race([d.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))])
        if (stopped !== true) d.child.kill("SIGKILL")
      }
      running.clear()
      for (const pid of pidsMentioning(root)) {
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // already gone
        }
      }
      fs.rmSync(root, { recursive: true, force: true })
    }
  }
}
