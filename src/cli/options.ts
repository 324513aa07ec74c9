/**
 * Arguments and options shared by several subcommands, with the reference's converters
 * and their error texts (client/albatross_client.ml).
 */
import * as fs from "node:fs"
import { Args, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either } from "effect"
import { Name, parsePath } from "../domain/name.js"
import type { BlockSpec, NetSpec } from "../domain/unikernel.js"

const invalid = (message: string) => ValidationError.invalidValue(HelpDoc.p(message))
/** `Args.mapEffect` fails with a bare HelpDoc. */
const invalidArg = (message: string) => HelpDoc.p(message)

const fromEither = <A, E>(e: Either.Either<A, string>, fail: (m: string) => E): Effect.Effect<A, E> =>
  Either.isRight(e) ? Effect.succeed(e.right) : Effect.fail(fail(e.left))

// ---- names and paths ----

export const parseName = (s: string): Either.Either<Name, string> => Name.fromString(s)

/** A path as a name without label (`Name.make_of_path`). */
export const parsePathName = (s: string): Either.Either<Name, string> =>
  Either.map(parsePath(s), (path) => Name.of(path, null))

/** Positional `UNIKERNEL-NAME` (or `BLOCK-NAME`). */
export const nameArg = (label = "UNIKERNEL-NAME") =>
  Args.text({ name: label }).pipe(
    Args.withDescription("Name of the unikernel or block device (path:label, or label for the root path)"),
    Args.mapEffect((s) => fromEither(parseName(s), (m) => invalidArg(`${label} argument: ${m}`)))
  )

/** `-n/--name NAME`, default root. */
export const optionalNameOption = (aliases: "n" | "none" = "n") => {
  const base = Options.text("name").pipe(
    Options.withDescription("Name of the unikernel (default: root, i.e. all)"),
    Options.mapEffect((s) => fromEither(parseName(s), (m) => invalid(`option '--name': ${m}`))),
    Options.withDefault(Name.root)
  )
  return aliases === "n" ? base.pipe(Options.withAlias("n")) : base
}

/** `-p/--path PATH`, default root. */
export const pathOption = Options.text("path").pipe(
  Options.withAlias("p"),
  Options.withDescription("Path to unikernels (default: root)"),
  Options.mapEffect((s) => fromEither(parsePathName(s), (m) => invalid(`option '--path': ${m}`))),
  Options.withDefault(Name.root)
)

export const pathArg = Args.text({ name: "PATH" }).pipe(
  Args.withDescription("Path to unikernels"),
  Args.mapEffect((s) => fromEither(parsePathName(s), (m) => invalidArg(`PATH argument: ${m}`)))
)

/** cmdliner's `Arg.file`: the file (or directory) must exist. */
export const existingFileArg = (label: string, description: string) =>
  Args.text({ name: label }).pipe(
    Args.withDescription(description),
    Args.mapEffect((s) =>
      fs.existsSync(s)
        ? Effect.succeed(s)
        : Effect.fail(invalidArg(`${label} argument: no '${s}' file or directory`))
    )
  )

export const existingFileOption = (name: string, description: string) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.mapEffect((s) =>
      fs.existsSync(s) ? Effect.succeed(s) : Effect.fail(invalid(`option '--${name}': no '${s}' file or directory`))
    )
  )

// ---- numbers ----

export const compressionOption = Options.integer("compression-level").pipe(
  Options.withDescription(
    "Compression level (0 - 9), a higher value results in smaller data, but uses more CPU (default 0 for local)"
  ),
  Options.mapEffect((n) =>
    n >= 0 && n <= 9 ? Effect.succeed(n) : Effect.fail(invalid("option '--compression-level': must be between 0 and 9"))
  ),
  Options.optional
)

// ---- unikernel configuration ----

/** `--block name[:device][@sector-size]` */
export const parseBlock = (s: string): Either.Either<BlockSpec, string> => {
  const at = s.split("@")
  if (at.length > 2) return Either.left("format is 'name[@sector-size]' or 'name:device-name[@sector-size]'")
  let sectorSize: number | null = null
  if (at.length === 2) {
    const text = at[1]!
    if (!/^[+-]?(\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i.test(text)) return Either.left("sector size must be an integer")
    const n = Number(text)
    if (n < 512 || (n & (n - 1)) !== 0) return Either.left("sector size must be a power of two greater than or equal 512")
    sectorSize = n
  }
  const colon = at[0]!.split(":")
  if (colon.length > 2) return Either.left("format is 'name' or 'name:device-name'")
  return Either.right({ name: colon[0]!, device: colon.length === 2 ? colon[1]! : null, sectorSize })
}

const macPattern = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/

/** `--net [name:]bridge[@mac]` */
export const parseNet = (s: string): Either.Either<NetSpec, string> => {
  const at = s.split("@")
  if (at.length > 2) return Either.left("format is [name:]bridge[@mac]")
  let mac: string | null = null
  if (at.length === 2) {
    const text = at[1]!
    if (!macPattern.test(text)) return Either.left(`invalid MAC address ${text}`)
    mac = text.toLowerCase().replace(/-/g, ":")
  }
  const colon = at[0]!.split(":")
  if (colon.length > 2) return Either.left("format is 'name' or 'name:device-name'")
  return Either.right({ netif: colon[0]!, bridge: colon.length === 2 ? colon[1]! : null, mac })
}

/** A repeatable option whose every value goes through `parse` (repeat first: @effect/cli needs a plain option). */
export const repeatedWith = <A>(
  name: string,
  description: string,
  parse: (s: string) => Either.Either<A, string>,
  pseudoName = "text"
) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.withPseudoName(pseudoName),
    Options.repeated,
    Options.mapEffect((values) =>
      Effect.forEach(values, (s) => fromEither(parse(s), (m) => invalid(`option '--${name}': ${m}`)))
    )
  )

/** OCaml `int_of_string`-like: decimal (or 0x/0o/0b), optional sign. */
export const parseInteger = (s: string): Either.Either<number, string> => {
  const ok = /^[+-]?(\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i.test(s)
  const n = ok ? Number(s.replace(/^\+/, "")) : Number.NaN
  return Number.isSafeInteger(n) ? Either.right(n) : Either.left(`invalid value '${s}', expected an integer`)
}

/**
 * A repeatable integer option. (@effect/cli 0.77 validates a single occurrence of a
 * repeated integer option twice and rejects it, so integers are parsed here.)
 */
export const repeatedIntegers = (name: string, description: string) =>
  repeatedWith(name, description, parseInteger, "integer")

/** The flags that make up a unikernel configuration, shared by `create` and `restart`. */
export const configOptions = {
  startup: Options.integer("startup").pipe(
    Options.withDescription("Startup priority (0 is highest, default is 50)"),
    Options.optional
  ),
  noAddName: Options.boolean("no-add-name").pipe(
    Options.withDescription("Do not add `--name=<UNIKERNEL-NAME>` to the unikernel arguments")
  ),
  cpu: repeatedIntegers("cpu", "CPUid to use (may be repeated; default 0)"),
  mem: Options.integer("mem").pipe(Options.withDescription("Memory to assign (in MB)"), Options.withDefault(32)),
  arg: Options.text("arg").pipe(
    Options.withDescription("Unikernel boot argument (may be repeated), e.g. --arg='--hello=Hi'"),
    Options.repeated
  ),
  block: repeatedWith(
    "block",
    "Block device (block[@sector-size] or name:block-device-name[@sector-size]; may be repeated)",
    parseBlock,
    "name[:device][@sector-size]"
  ),
  net: repeatedWith("net", "Network device ([name:]bridge[@mac]; may be repeated)", parseNet, "[name:]bridge[@mac]"),
  restart: Options.boolean("restart-on-fail").pipe(
    Options.withAlias("restart"),
    Options.withDescription("When the unikernel exits, restart it")
  ),
  exitCode: repeatedIntegers(
    "exit-code",
    "Exit code to restart on (may be repeated; default: everything apart 1 (solo5 error), 60-64 (argument errors))"
  ),
  cpus: Options.integer("cpus").pipe(Options.withDescription("How many CPUs to use"), Options.withDefault(1)),
  linuxBoot: Options.text("linux-boot").pipe(
    Options.withDescription("Boot partition when booting a Linux system"),
    Options.optional
  )
}

/** Sorted, duplicate-free: the OCaml `IS.of_list`. */
export const intSet = (xs: ReadonlyArray<number>): Array<number> => [...new Set(xs)].sort((a, b) => a - b)

export const stringSet = (xs: ReadonlyArray<string>): Array<string> =>
  [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

export const isSet = <A>(xs: ReadonlyArray<A>): boolean => new Set(xs).size === xs.length
