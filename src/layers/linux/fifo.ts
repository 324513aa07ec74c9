/**
 * Fifo on a POSIX host. Node has no mkfifo(2) binding. The live layer asks a long-lived perl
 * helper (`mkfifo-helper.ts`: no process per FIFO); without perl, the FIFO is made by the `mkfifo`
 * utility (coreutils on Linux, base system on FreeBSD) run through the CommandRunner:
 * `mkfifo -m 0640 <path>` sets exactly 0640 regardless of the umask (both implementations
 * apply -m without the umask), which is what the reference achieves by lowering its umask
 * around mkfifo(2). The alternative, a native addon, would need a compiler at install time.
 * The errno text is taken from the utility's message (`...: No such file or directory`).
 */
import { rm, stat } from "node:fs/promises"
import { constants as osConstants } from "node:os"
import { Effect, Layer } from "effect"
import { HelperUnavailable, makeMkfifoHelper, type MkfifoHelper, errnoNumberText } from "./mkfifo-helper.js"
import { CommandRunner, type CommandRunnerService } from "../../services/command-runner.js"
import { Fifo, FifoError, type FifoService } from "../../services/fifo.js"
import { errnoText } from "./errno-text.js"

const { EEXIST } = osConstants.errno

export const FIFO_MODE = "0640"

/** The errno text at the end of a mkfifo(1) message: the part after the last `: `. */
export const mkfifoErrnoText = (stderr: string): string => {
  const line = stderr.trim().split("\n")[0] ?? ""
  const i = line.lastIndexOf(": ")
  return i < 0 ? line : line.slice(i + 2)
}

const existingFifo = (path: string) =>
  Effect.gen(function* () {
    const existing = yield* Effect.promise(() =>
      stat(path).then(
        (s) => (s.isFIFO() ? "fifo" : "other"),
        () => "absent" as const
      )
    )
    if (existing === "other") return yield* new FifoError({ message: `file ${path} exists and is not a fifo` })
    return existing === "fifo"
  })

/** With the `mkfifo` utility: a process per FIFO. */
export const makePosixFifo = (runner: CommandRunnerService): FifoService => ({
  create: (path) =>
    Effect.gen(function* () {
      if (yield* existingFifo(path)) return
      const result = yield* Effect.mapError(
        runner.run(["mkfifo", "-m", FIFO_MODE, path]),
        (e) => new FifoError({ message: `file ${path} error in mkfifo: ${e.message}` })
      )
      if (result.exitCode !== 0) {
        return yield* new FifoError({ message: `file ${path} error in mkfifo: ${mkfifoErrnoText(result.stderr)}` })
      }
    }),
  remove: (path) =>
    Effect.tryPromise({
      try: () => rm(path, { force: true }),
      catch: (e) => new FifoError({ message: `file ${path} error in unlink: ${errnoText(e)}` })
    })
})

/** With the perl helper; the utility when the helper is unavailable (no perl, or it died). */
export const makeHelperFifo = (helper: MkfifoHelper, fallback: FifoService): FifoService => ({
  // mkfifo(2) first, the existing file looked at only when it answers EEXIST: the usual create
  // makes one round trip to the helper, without a stat in the thread pool before it
  create: (path) =>
    Effect.gen(function* () {
      const errno = yield* Effect.promise(() =>
        helper.mkfifo(path).catch((e: unknown) => {
          if (e instanceof HelperUnavailable) return undefined
          throw e
        })
      )
      if (errno === undefined) return yield* fallback.create(path)
      if (errno === EEXIST && (yield* existingFifo(path))) return
      if (errno !== 0) return yield* new FifoError({ message: `file ${path} error in mkfifo: ${errnoNumberText(errno)}` })
    }),
  remove: fallback.remove
})

export const FifoLive: Layer.Layer<Fifo, never, CommandRunner> = Layer.scoped(
  Fifo,
  Effect.gen(function* () {
    const runner = yield* CommandRunner
    const helper = yield* Effect.acquireRelease(Effect.sync(() => makeMkfifoHelper()), (h) => Effect.sync(() => h.close()))
    return makeHelperFifo(helper, makePosixFifo(runner))
  })
)

/** With the `mkfifo` utility only (FreeBSD: perl is not in its base system). */
export const FifoUtilityLive: Layer.Layer<Fifo, never, CommandRunner> = Layer.effect(Fifo, Effect.map(CommandRunner, makePosixFifo))
