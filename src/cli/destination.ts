/**
 * Where a command goes (spec §11.1), shared by every command subcommand.
 *
 * Today only local mode exists: the daemon's Unix socket chosen per command under
 * `--tmpdir`, or `--socket PATH`, or `--socket -` to print the encoded message.
 * Remote mode (`--destination` with `--ca`, `--ca-key`, `--server-ca`, `--key-type`) and
 * `--csr` become further variants of `Destination`; `resolveDestination` is the one place
 * that then enforces "The options --csr, --destination, and --socket are mutually exclusive".
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { type Service, socketFileOf } from "../domain/endpoint.js"
import { ClientExit, ExitCode } from "./exit-code.js"
import { type NonLocal, type RemoteArgs, remoteOptions, resolveRemote } from "./remote/options.js"

export type Destination =
  /** `socket`: `None` = the service's default socket under `tmpdir`; `Some("-")` = print and stop. */
  | { readonly _tag: "Local"; readonly socket: Option.Option<string>; readonly tmpdir: string }
  /** `--destination` (TLS endpoint) or `--csr` (src/cli/remote/). */
  | NonLocal

export const defaultTmpdir = (): string =>
  process.platform === "freebsd" || process.platform === "darwin" ? "/var/run/albatross" : "/run/albatross"

export const defaultDbdir = (): string =>
  process.platform === "freebsd" || process.platform === "darwin" ? "/var/db/albatross" : "/var/lib/albatross"

/** Socket of each daemon: `<tmpdir>/util/<vmmd|console|stat>.sock`. */
export const socketPath = (tmpdir: string, service: Service): string => path.join(tmpdir, "util", socketFileOf(service))

/** cmdliner's `Arg.dir`: the directory must exist when given. */
export const checkDirectory = (dir: string): Effect.Effect<string, ClientExit> =>
  Effect.suspend(() => {
    const stat = fs.statSync(dir, { throwIfNoEntry: false })
    if (stat === undefined) return Effect.fail(new ClientExit({ code: ExitCode.cliError, message: `no '${dir}' directory` }))
    if (!stat.isDirectory()) return Effect.fail(new ClientExit({ code: ExitCode.cliError, message: `'${dir}' is not a directory` }))
    return Effect.succeed(dir)
  })

export const socketOption = Options.text("socket").pipe(
  Options.withDescription("Socket to connect to (default: the daemon's socket under --tmpdir; '-' prints the message)"),
  Options.optional
)

export const tmpdirOption = Options.text("tmpdir").pipe(
  Options.withDescription("Albatross temporary directory"),
  Options.optional
)

export const jsonOption = Options.boolean("json").pipe(
  Options.withDescription("Print one JSON object per reply or data message instead of the human lines")
)

/** The options every command subcommand takes. */
export const destinationOptions = {
  socket: socketOption,
  tmpdir: tmpdirOption,
  json: jsonOption,
  ...remoteOptions
}

export interface DestinationArgs extends RemoteArgs {
  readonly socket: Option.Option<string>
  readonly tmpdir: Option.Option<string>
}

export const resolveDestination = (args: DestinationArgs): Effect.Effect<Destination, ClientExit> =>
  Effect.flatMap(resolveRemote(args), (remote) => (Option.isSome(remote) ? Effect.succeed<Destination>(remote.value) : resolveLocal(args)))

const resolveLocal = (args: DestinationArgs): Effect.Effect<Destination, ClientExit> =>
  Option.match(args.tmpdir, {
    onNone: () => Effect.succeed(defaultTmpdir()),
    onSome: checkDirectory
  }).pipe(Effect.map((tmpdir): Destination => ({ _tag: "Local", socket: args.socket, tmpdir })))

/** Compression default (spec §11.2): 0 locally; remote mode and CSRs will default to 9. */
export const defaultCompression = (destination: Destination, level: Option.Option<number>): number =>
  Option.getOrElse(level, () => (destination._tag === "Local" ? 0 : 9))
