/**
 * Runs an external command as an argv vector, never through a shell (spec §5), and captures
 * what it printed. Every other host service that shells out (`ip`, `ifconfig`, `mkfifo`,
 * `bhyveload`, ...) goes through this, so the recording test layer can assert the exact
 * command lines the Linux and FreeBSD layers run.
 */
import { Context, Data, Effect } from "effect"

export interface CommandResult {
  /** Exit status, or `null` when the command was killed by a signal. */
  readonly exitCode: number | null
  /** Signal name (`SIGTERM`) when killed by a signal. */
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  /** Merge stderr into stdout (the tender's `--version` prints on stderr). */
  readonly mergeStderr?: boolean
  /** Bytes written to the command's stdin (default: nothing, stdin closed). */
  readonly stdin?: string
}

/** The command could not be started at all (ENOENT, EACCES, ...). */
export class CommandError extends Data.TaggedError("CommandError")<{
  readonly argv: ReadonlyArray<string>
  readonly message: string
}> {}

/** The command ran but did not exit 0. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly argv: ReadonlyArray<string>
  readonly result: CommandResult
  readonly message: string
}> {}

export interface CommandRunnerService {
  /** Runs `argv[0]` (looked up on PATH) with the rest as arguments; succeeds with any exit status. */
  readonly run: (argv: ReadonlyArray<string>, options?: RunOptions) => Effect.Effect<CommandResult, CommandError>
}

export class CommandRunner extends Context.Tag("albatross/CommandRunner")<CommandRunner, CommandRunnerService>() {}

/** The command line as the reference prints it in messages: words joined by spaces. */
export const commandLine = (argv: ReadonlyArray<string>): string => argv.join(" ")

const describeExit = (r: CommandResult): string =>
  r.exitCode !== null ? `exited with ${r.exitCode}` : `killed by signal ${r.signal ?? "?"}`

/** Runs and requires exit 0; the result's stdout is returned. */
export const runChecked = (
  argv: ReadonlyArray<string>,
  options?: RunOptions
): Effect.Effect<string, CommandError | CommandFailed, CommandRunner> =>
  Effect.flatMap(CommandRunner, (runner) => runner.run(argv, options)).pipe(
    Effect.flatMap((result) =>
      result.exitCode === 0
        ? Effect.succeed(result.stdout)
        : Effect.fail(
            new CommandFailed({
              argv,
              result,
              message: `cmd ${commandLine(argv)} ${describeExit(result)}${
                result.stderr.trim() === "" ? "" : `: ${result.stderr.trim()}`
              }`
            })
          )
    )
  )
