/**
 * Logs to syslog for `--syslog` (the reference's Logs_syslog_unix reporter).
 *
 * Node cannot open a Unix datagram socket, so the messages go through the system's `logger`
 * utility, started once and fed one line per message on its stdin: on Linux util-linux's
 * `logger --prio-prefix` takes each line's priority from a `<N>` prefix, so one process serves
 * every level; FreeBSD's logger has no such prefix, so there is one process per level, started
 * when that level is first used. Like the reference, a socket that is not there at start is an
 * error the daemon reports before doing anything else.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { Data, Effect } from "effect"

export class SyslogUnavailable extends Data.TaggedError("SyslogUnavailable")<{ readonly message: string }> {}

/** RFC 5424 severities of the levels a daemon logs. */
export type Severity = 2 | 3 | 4 | 6 | 7
const FACILITY_DAEMON = 3
const SEVERITY_NAME: Record<Severity, string> = { 2: "crit", 3: "err", 4: "warning", 6: "info", 7: "debug" }

export const defaultSyslogSocket = (): string => (process.platform === "freebsd" ? "/var/run/log" : "/dev/log")

export interface SyslogSink {
  /** Sends one message; each line of a multi-line text becomes its own syslog line. */
  readonly write: (severity: Severity, text: string) => void
}

const checkSocket = (socketPath: string): string | undefined => {
  try {
    return fs.statSync(socketPath).isSocket() ? undefined : `${socketPath} is not a socket`
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return code === "ENOENT" ? `${socketPath}: No such file or directory` : `${socketPath}: ${String((e as Error).message)}`
  }
}

/** How long a freshly started logger gets to fail to connect before we count on it. */
const SETTLE_MS = 150

/** Starts `logger` and waits until it runs and has not given up on the socket. */
const startLogger = (args: ReadonlyArray<string>): Effect.Effect<ChildProcess, SyslogUnavailable> =>
  Effect.async<ChildProcess, SyslogUnavailable>((resume) => {
    const child = spawn("logger", [...args], { stdio: ["pipe", "ignore", "pipe"] })
    let stderr = ""
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString("utf8")
    })
    let settled = false
    const fail = (message: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(Effect.fail(new SyslogUnavailable({ message })))
    }
    child.on("error", (e) =>
      fail((e as NodeJS.ErrnoException).code === "ENOENT" ? "the logger utility is not installed" : `logger: ${e.message}`)
    )
    child.on("exit", (code, signal) =>
      fail(stderr.trim() || `logger exited with ${code !== null ? `code ${code}` : `signal ${String(signal)}`}`)
    )
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.stderr?.removeAllListeners("data")
      child.removeAllListeners("exit")
      resume(Effect.succeed(child))
    }, SETTLE_MS)
  })

/** A logger process must neither keep the daemon alive nor take it down when it goes away. */
const detach = (child: ChildProcess, onGone: () => void): void => {
  child.stdin?.on("error", () => {})
  child.on("exit", onGone)
  child.unref()
  const stdin = child.stdin as unknown as { unref?: () => void } | null
  stdin?.unref?.()
  // drained, so a logger complaining on stderr never blocks on a full pipe
  child.stderr?.resume()
  const err = child.stderr as unknown as { unref?: () => void } | null
  err?.unref?.()
}

const prefixed = (severity: Severity, text: string): string =>
  text
    .split("\n")
    .map((line) => `<${FACILITY_DAEMON * 8 + severity}>${line}\n`)
    .join("")

/**
 * Opens the syslog reporter for `program`. `onGone` is called once if a logger process exits
 * later (syslogd restarted, socket removed): the caller falls back to stderr.
 */
export const openSyslog = (
  program: string,
  socketPath: string,
  onGone: (reason: string) => void
): Effect.Effect<SyslogSink, SyslogUnavailable> =>
  Effect.gen(function* () {
    const problem = checkSocket(socketPath)
    if (problem !== undefined) return yield* new SyslogUnavailable({ message: problem })
    let gone = false
    const lost = (reason: string) => {
      if (gone) return
      gone = true
      onGone(reason)
    }
    if (process.platform !== "freebsd") {
      const child = yield* startLogger([`--id=${process.pid}`, "-t", program, "--prio-prefix", "--socket-errors=on", "-u", socketPath])
      detach(child, () => lost("the logger process exited"))
      return { write: (severity, text) => void (gone || child.stdin?.write(prefixed(severity, text))) }
    }
    const children = new Map<Severity, ChildProcess>()
    return {
      write: (severity, text) => {
        if (gone) return
        let child = children.get(severity)
        if (child === undefined) {
          child = spawn("logger", ["-i", "-t", program, "-p", `daemon.${SEVERITY_NAME[severity]}`], { stdio: ["pipe", "ignore", "ignore"] })
          child.on("error", () => lost("the logger utility could not be started"))
          detach(child, () => lost("a logger process exited"))
          children.set(severity, child)
        }
        child.stdin?.write(`${text}\n`)
      }
    }
  })
