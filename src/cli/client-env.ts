/**
 * What the client needs from its surroundings, as a service: where text goes, whether
 * stderr is a terminal (progress bars), the directory for dumped files, the start time
 * (part of dumped file names) and whether `--json` is on.
 *
 * The binary provides the process's own; tests provide buffers, so a whole client run
 * happens in-process and its output can be compared with the reference's.
 */
import * as os from "node:os"
import { Context, Effect, Layer } from "effect"
import { renderLogMessage, type Piece } from "./ocaml-format.js"

export interface ClientEnvShape {
  readonly writeStdout: (text: string) => void
  readonly writeStderr: (text: string) => void
  readonly stderrIsTTY: boolean
  /** `Filename.get_temp_dir_name ()`: `$TMPDIR` or `/tmp`. */
  readonly tempDir: string
  /** Taken once at start: every file this run writes carries the same timestamp. */
  readonly startTime: Date
  /** The program name used in warning and error lines. */
  readonly programName: string
}

export class ClientEnv extends Context.Tag("albatross/cli/ClientEnv")<ClientEnv, ClientEnvShape>() {}

/**
 * `albatross-client console foo | head`: when the reader goes away, end quietly with the
 * status a SIGPIPE-killed process has (the reference, an OCaml program, dies of SIGPIPE)
 * instead of an unhandled EPIPE stack trace.
 */
const exitOnBrokenPipe = (stream: NodeJS.WriteStream) => {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(128 + 13)
    throw err
  })
}

export const processClientEnv = (): ClientEnvShape => {
  exitOnBrokenPipe(process.stdout)
  exitOnBrokenPipe(process.stderr)
  return processClientEnvShape()
}

const processClientEnvShape = (): ClientEnvShape => ({
  writeStdout: (text) => {
    process.stdout.write(text)
  },
  writeStderr: (text) => {
    process.stderr.write(text)
  },
  stderrIsTTY: process.stderr.isTTY === true,
  tempDir: os.tmpdir(),
  startTime: new Date(),
  programName: "albatross-client"
})

export const ClientEnvLive = Layer.sync(ClientEnv, processClientEnv)

/**
 * Output modes. Human: the reference's log lines on stdout (`Logs_fmt` reporter on
 * `Format.std_formatter`): app level bare, warnings and errors prefixed
 * `albatross-client: [WARNING] ` / `[ERROR] `. JSON: one object per line on stdout;
 * the human warning/error lines then go to stderr so stdout stays machine-readable.
 */
export class OutputMode extends Context.Reference<OutputMode>()("albatross/cli/OutputMode", {
  defaultValue: () => ({ json: false })
}) {}

const log = (level: "app" | "warning" | "error", pieces: ReadonlyArray<Piece>) =>
  Effect.gen(function* () {
    const env = yield* ClientEnv
    const mode = yield* OutputMode
    const header = level === "app" ? "" : `${env.programName}: [${level === "warning" ? "WARNING" : "ERROR"}] `
    const text = renderLogMessage(header, pieces)
    if (mode.json) {
      if (level !== "app") env.writeStderr(text)
    } else env.writeStdout(text)
  })

/** A human line at the "app" level (suppressed in JSON mode, which prints `json` instead). */
export const app = (...pieces: ReadonlyArray<Piece>) => log("app", pieces)
export const warn = (...pieces: ReadonlyArray<Piece>) => log("warning", pieces)
export const error = (...pieces: ReadonlyArray<Piece>) => log("error", pieces)

/** One JSON object on its own line, only in JSON mode. */
export const json = (value: unknown) =>
  Effect.gen(function* () {
    const mode = yield* OutputMode
    if (!mode.json) return
    const env = yield* ClientEnv
    env.writeStdout(JSON.stringify(value) + "\n")
  })

/** Raw text on stdout in human mode, bypassing the formatter (hexdumps). */
export const rawStdout = (text: string) =>
  Effect.gen(function* () {
    const mode = yield* OutputMode
    if (mode.json) return
    const env = yield* ClientEnv
    env.writeStdout(text)
  })
