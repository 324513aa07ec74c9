/**
 * A recording CommandRunner: remembers every argv it was asked to run and answers from a
 * script, so tests assert the exact command lines the Linux and FreeBSD layers run without
 * touching the host.
 */
import { Effect, Layer } from "effect"
import {
  CommandError,
  type CommandResult,
  CommandRunner,
  type CommandRunnerService,
  type RunOptions
} from "../../services/command-runner.js"

/** What a scripted command does: a result (missing fields default to success, empty output) or a spawn error text. */
export type ScriptedAnswer = Partial<CommandResult> | { readonly spawnError: string }

/** Answers by argv; `undefined` = default (exit 0, no output). */
export type CommandScript = (argv: ReadonlyArray<string>, options: RunOptions | undefined) => ScriptedAnswer | undefined

export interface RecordingRunner {
  readonly runner: CommandRunnerService
  readonly layer: Layer.Layer<CommandRunner>
  /** Every argv run so far, in order. */
  readonly calls: ReadonlyArray<ReadonlyArray<string>>
  /** The calls as command lines (`ip link show br0`). */
  readonly lines: () => ReadonlyArray<string>
  readonly clear: () => void
}

export const makeRecordingRunner = (script: CommandScript = () => undefined): RecordingRunner => {
  const calls: Array<ReadonlyArray<string>> = []
  const runner: CommandRunnerService = {
    run: (argv, options) =>
      Effect.suspend(() => {
        calls.push([...argv])
        const answer = script(argv, options) ?? {}
        if ("spawnError" in answer) {
          return Effect.fail(new CommandError({ argv, message: `cmd ${argv.join(" ")} exits: ${answer.spawnError}` }))
        }
        return Effect.succeed({
          exitCode: answer.exitCode === undefined ? 0 : answer.exitCode,
          signal: answer.signal ?? null,
          stdout: answer.stdout ?? "",
          stderr: answer.stderr ?? ""
        })
      })
  }
  return {
    runner,
    layer: Layer.succeed(CommandRunner, runner),
    calls,
    lines: () => calls.map((c) => c.join(" ")),
    clear: () => void calls.splice(0)
  }
}

/** A script from a table of command lines; unlisted commands succeed with no output. */
export const scriptTable =
  (table: Readonly<Record<string, ScriptedAnswer>>): CommandScript =>
  (argv) =>
    table[argv.join(" ")]
