/**
 * Glue between @effect/cli handlers and the client's exit codes: a handler computes an
 * exit code (or fails with `ClientExit`), and `runHandler` turns a non-zero code into a
 * failure that the entry point maps to `process.exitCode`.
 */
import { Effect, type Option } from "effect"
import type { Command } from "../domain/command.js"
import type { Name } from "../domain/name.js"
import { ClientEnv, OutputMode } from "./client-env.js"
import { defaultCompression, type DestinationArgs, resolveDestination } from "./destination.js"
import { ClientExit, type ExitCode } from "./exit-code.js"
import { execute, type Upload } from "./session.js"

export const finish = (code: ExitCode): Effect.Effect<void, ClientExit> =>
  code === 0 ? Effect.void : Effect.fail(new ClientExit({ code, message: "" }))

/** Run a handler body with `--json` applied, mapping its exit code. */
export const runHandler = <R>(json: boolean, body: Effect.Effect<ExitCode, ClientExit, R>): Effect.Effect<void, ClientExit, R> =>
  body.pipe(Effect.flatMap(finish), Effect.provideService(OutputMode, { json }))

export interface CommonArgs extends DestinationArgs {
  readonly json: boolean
}

/** The usual subcommand: build one command for one name and send it. */
export const sendCommand = (
  common: CommonArgs,
  name: Name,
  command: Command,
  upload?: Upload
): Effect.Effect<void, ClientExit, ClientEnv> =>
  runHandler(
    common.json,
    Effect.flatMap(resolveDestination(common), (destination) => execute(destination, name, command, upload))
  )

/** A subcommand whose command carries a compression level, defaulted by destination (spec §11.2). */
export const sendCompressed = (
  common: CommonArgs & { readonly compression: Option.Option<number> },
  name: Name,
  command: (level: number) => Command
): Effect.Effect<void, ClientExit, ClientEnv> =>
  runHandler(
    common.json,
    Effect.flatMap(resolveDestination(common), (destination) =>
      execute(destination, name, command(defaultCompression(destination, common.compression)))
    )
  )
