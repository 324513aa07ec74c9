/**
 * Tender on a POSIX host (spec §5.4 steps 4-5, §5.6, §5.7). Linux and FreeBSD share it; only
 * FreeBSD runs bhyve.
 */
import { spawn } from "node:child_process"
import { constants } from "node:fs"
import { mkdtemp, open, rm, writeFile } from "node:fs/promises"
import { constants as osConstants, tmpdir } from "node:os"
import { join } from "node:path"
import { Deferred, type Duration, Effect, Exit, Layer, Runtime } from "effect"
import type { ProcessExit } from "../../domain/process-exit.js"
import { CommandRunner, type CommandRunnerService, commandLine, runChecked } from "../../services/command-runner.js"
import { HostPaths, type HostPathsConfig } from "../../services/host-paths.js"
import { Tender, TenderError, type TenderHandle, type TenderService } from "../../services/tender.js"
import { bhyvectlDestroyArgv, bhyveloadArgv, grubBhyveArgv, grubDeviceMap } from "../../services/tender-argv.js"
import { errnoText } from "./errno-text.js"
import { errnoNumberText, HelperUnavailable } from "./mkfifo-helper.js"
import { makeSpawnHelper, type SpawnHelper, SpawnRefused } from "./spawn-helper.js"
import { findOnPath, isExecutableFile } from "./path-lookup.js"

/** Whether `--version` output has a line of exactly `ABI version <abi>` (three space-separated words). */
export const versionOutputMatches = (output: string, abi: number): boolean =>
  output.split("\n").some((line) => {
    const words = line.split(" ")
    return words.length === 3 && words[0] === "ABI" && words[1] === "version" && /^[0-9]+$/.test(words[2]!) && Number(words[2]) === abi
  })

/** The output as the reference prints it: its lines joined by newlines, so without a final newline. */
const outputLines = (output: string): string => (output.endsWith("\n") ? output.slice(0, -1) : output)

/** Signal number of a signal name, as waitpid would have reported it. */
export const signalNumber = (name: NodeJS.Signals | null): number =>
  name === null ? 0 : (osConstants.signals as Readonly<Partial<Record<string, number>>>)[name] ?? 0

export const processExitOf = (code: number | null, signal: NodeJS.Signals | null): ProcessExit =>
  code !== null ? { _tag: "Exit", code } : { _tag: "Signal", signal: signalNumber(signal) }

export interface TenderOptions {
  readonly os: "Linux" | "FreeBSD"
  readonly paths: HostPathsConfig
  readonly runner: CommandRunnerService
  /** How long `<tender> --version` may take (default 10 s); a hung tender must not hang a create. */
  readonly versionTimeout?: Duration.DurationInput
}

export const makePosixTender = (options: TenderOptions): TenderService => {
  const { paths, runner } = options
  const run = (argv: ReadonlyArray<string>) =>
    runChecked(argv).pipe(
      Effect.provideService(CommandRunner, runner),
      Effect.mapError((e) => new TenderError({ message: e.message }))
    )

  const lookup = (target: "hvt" | "spt", abi: number) =>
    Effect.gen(function* () {
      const base = `solo5-${target}`
      const names = [`${base}.${abi}`, base]
      let tender: string | undefined
      for (const name of names) {
        const inDb = join(paths.dbdir, name)
        if (yield* Effect.promise(() => isExecutableFile(inDb))) {
          tender = inDb
          break
        }
        if ((yield* Effect.promise(() => findOnPath(name))) !== undefined) {
          tender = name
          break
        }
      }
      if (tender === undefined) {
        const looked = names.flatMap((n) => [join(paths.dbdir, n), n]).join(", ")
        return yield* new TenderError({ message: `tender does not exist, looked for ${looked}` })
      }
      const argv = [tender, "--version"]
      const result = yield* runner.run(argv, { mergeStderr: true }).pipe(
        Effect.mapError((e) => new TenderError({ message: e.message })),
        Effect.timeoutFail({
          duration: options.versionTimeout ?? "10 seconds",
          onTimeout: () => new TenderError({ message: `cmd ${commandLine(argv)} timed out` })
        })
      )
      if (result.exitCode !== 0) {
        return yield* new TenderError({ message: `cmd ${commandLine(argv)} exited with ${result.exitCode ?? result.signal}` })
      }
      if (!versionOutputMatches(result.stdout, abi)) {
        return yield* new TenderError({
          message: `unexpected solo5 tender --version output, expected one line with 'ABI version ${abi}', got ${outputLines(result.stdout)}`
        })
      }
      return tender
    })

  const bootBhyve: TenderService["bootBhyve"] = (boot) => {
    if (options.os !== "FreeBSD") return Effect.fail(new TenderError({ message: "bhyve is only available on FreeBSD" }))
    if (boot.linuxBootPartition === null) return Effect.asVoid(run(bhyveloadArgv(boot.vm, boot.memory, boot.disk0)))
    const partition = boot.linuxBootPartition
    return Effect.acquireUseRelease(
      Effect.tryPromise({
        try: async () => {
          const dir = await mkdtemp(join(tmpdir(), "albatross-"))
          const file = join(dir, "device.map")
          await writeFile(file, grubDeviceMap(boot.disk0), { mode: 0o600 })
          return { dir, file }
        },
        catch: (e) => new TenderError({ message: `device map: ${errnoText(e)}` })
      }),
      ({ file }) => Effect.asVoid(run(grubBhyveArgv(boot.vm, boot.memory, file, partition))),
      ({ dir }) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
  }

  return {
    lookup,
    bootBhyve,
    destroyBhyve: (vm) => Effect.asVoid(run(bhyvectlDestroyArgv(vm))),
    spawn: (argv, fifo) => spawnWithFifo(argv, fifo)
  }
}

/**
 * Opens the FIFO write-only|append and spawns argv with it as stdin, stdout and stderr.
 *
 * Opening a FIFO for writing blocks until a reader has it open. albatross-console opens it
 * before the daemon spawns (Console_add comes first), so normally this returns at once; to
 * never park a libuv thread forever when no reader is there, a non-blocking read end is
 * opened first and closed once the child has its copy (a child writing with no reader at all
 * then gets SIGPIPE, as the real tender does when the console goes away).
 */
export const spawnWithFifo = (argv: ReadonlyArray<string>, fifo: string): Effect.Effect<TenderHandle, TenderError> =>
  Effect.gen(function* () {
    const [prog, ...args] = argv
    if (prog === undefined) return yield* new TenderError({ message: "empty command line" })
    const fail = (e: unknown) => new TenderError({ message: `cmd ${commandLine(argv)} exits: ${errnoText(e)}` })
    const guard = yield* Effect.tryPromise({
      try: () => open(fifo, constants.O_RDONLY | constants.O_NONBLOCK),
      catch: (e) => new TenderError({ message: `file ${fifo} error in open: ${errnoText(e)}` })
    })
    const writer = yield* Effect.tryPromise({
      try: () => open(fifo, constants.O_WRONLY | constants.O_APPEND),
      catch: (e) => new TenderError({ message: `file ${fifo} error in open: ${errnoText(e)}` })
    }).pipe(Effect.onError(() => Effect.promise(() => guard.close())))
    const exit = yield* Deferred.make<ProcessExit>()
    const started = new Date()
    const child = yield* Effect.async<ReturnType<typeof spawn>, TenderError>((resume) => {
      const c = spawn(prog, args, { stdio: [writer.fd, writer.fd, writer.fd], shell: false })
      c.on("exit", (code, signal) => Deferred.unsafeDone(exit, Exit.succeed(processExitOf(code, signal))))
      if (c.pid !== undefined) {
        // a later 'error' (none is expected once spawned) must not crash the daemon as an unhandled event
        c.on("error", () => {})
        resume(Effect.succeed(c))
      } else c.once("error", (e) => resume(Effect.fail(fail(e))))
    }).pipe(Effect.ensuring(Effect.promise(() => Promise.all([writer.close(), guard.close()]))))
    const signal = (name: "SIGTERM" | "SIGKILL") =>
      Effect.sync(() => {
        // ChildProcess.kill does nothing once the exit was seen, so a recycled pid is never hit
        if (child.exitCode === null && child.signalCode === null) child.kill(name)
      })
    return { pid: child.pid!, started, exit: Deferred.await(exit), terminate: signal("SIGTERM"), kill: signal("SIGKILL") }
  })

/**
 * `spawnWithFifo` through the long-lived spawn helper (see spawn-helper.ts: the daemon is not
 * forked per tender), with the same errors; Node's own spawn when the helper is unavailable.
 */
export const spawnThroughHelper = (
  helper: SpawnHelper,
  argv: ReadonlyArray<string>,
  fifo: string
): Effect.Effect<TenderHandle, TenderError> =>
  Effect.gen(function* () {
    if (argv.length === 0) return yield* new TenderError({ message: "empty command line" })
    const started = new Date()
    const spawned = yield* Effect.tryPromise({
      try: () => helper.spawn(argv, fifo),
      catch: (e) =>
        e instanceof SpawnRefused
          ? new TenderError({
              message:
                e.stage === "open"
                  ? `file ${fifo} error in open: ${errnoNumberText(e.errno)}`
                  : `cmd ${commandLine(argv)} exits: ${errnoNumberText(e.errno)}`
            })
          : e
    }).pipe(
      Effect.map((p) => ({ _tag: "Spawned" as const, p })),
      Effect.catchIf(
        (e): e is HelperUnavailable => e instanceof HelperUnavailable,
        () => Effect.succeed({ _tag: "Unavailable" as const })
      ),
      Effect.catchAll((e) => (e instanceof TenderError ? Effect.fail(e) : Effect.die(e)))
    )
    if (spawned._tag === "Unavailable") return yield* spawnWithFifo(argv, fifo)
    const p = spawned.p
    return {
      pid: p.pid,
      started,
      exit: Effect.promise(() => p.exit),
      terminate: Effect.sync(() => p.signal("SIGTERM")),
      kill: Effect.sync(() => p.signal("SIGKILL"))
    }
  })

/**
 * Linux spawns through the perl helper (perl-base is Essential on Debian); FreeBSD, whose base
 * system has no perl, through Node (as its FIFOs are made by the mkfifo utility).
 */
const layerFor = (os: "Linux" | "FreeBSD"): Layer.Layer<Tender, never, HostPaths | CommandRunner> =>
  Layer.scoped(
    Tender,
    Effect.gen(function* () {
      const options = { os, paths: yield* HostPaths, runner: yield* CommandRunner }
      if (os === "FreeBSD") return makePosixTender(options)
      // the helper reports its death from a pipe callback, outside any fiber
      const runtime = yield* Effect.runtime<never>()
      const orphaned = (pids: ReadonlyArray<number>) =>
        Runtime.runFork(runtime)(
          Effect.logError(
            `the spawn helper died: the exit status of ${pids.length} running tender(s) is lost; they are polled and reported as killed once gone`
          )
        )
      const execFailed = (argv: ReadonlyArray<string>, errno: number) =>
        Runtime.runFork(runtime)(Effect.logError(`cmd ${commandLine(argv)} exits: ${errnoNumberText(errno)} (after it was started: it ends with exit code 127)`))
      const helper = yield* Effect.acquireRelease(
        Effect.sync(() => makeSpawnHelper("perl", orphaned, execFailed)),
        (h) => Effect.sync(() => h.close())
      )
      return { ...makePosixTender(options), spawn: (argv, fifo) => spawnThroughHelper(helper, argv, fifo) } satisfies TenderService
    })
  )

export const TenderLinux = layerFor("Linux")
/** Re-exported by `freebsd/tender.ts`. */
export const TenderFreeBsdImpl = layerFor("FreeBSD")
