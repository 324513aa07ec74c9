/** `block`, `create-block`, `set-block`, `dump-block`, `destroy-block` (spec §11.2). */
import * as fs from "node:fs"
import { Args, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { Name } from "../../domain/name.js"
import { defaultCompression, type DestinationArgs, destinationOptions, resolveDestination } from "../destination.js"
import { cliError, ExitCode } from "../exit-code.js"
import { runHandler, sendCommand, sendCompressed } from "../handler.js"
import { compressionOption, existingFileArg, existingFileOption, nameArg, parseName } from "../options.js"
import { execute } from "../session.js"
import { fileUpload } from "../upload.js"

const blockNameOption = Options.text("name").pipe(
  Options.withDescription("Name of block device (default: root, i.e. all)"),
  Options.mapEffect((s) => {
    const parsed = parseName(s)
    return Either.isRight(parsed)
      ? Effect.succeed(parsed.right)
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`option '--name': ${parsed.left}`)))
  }),
  Options.withDefault(Name.root)
)

export const blockCommand = Command.make("block", { name: blockNameOption, ...destinationOptions }, (a) =>
  sendCommand(a, a.name, { _tag: "BlockInfo" })
).pipe(Command.withDescription("Displays information about block devices."))

export const destroyBlockCommand = Command.make(
  "destroy-block",
  { name: nameArg("BLOCK-NAME"), ...destinationOptions },
  (a) => sendCommand(a, a.name, { _tag: "BlockRemove" })
).pipe(Command.withDescription("Destroy a block device."))

export const dumpBlockCommand = Command.make(
  "dump-block",
  { name: nameArg("BLOCK-NAME"), compression: compressionOption, ...destinationOptions },
  (a) => sendCompressed(a, a.name, (level) => ({ _tag: "BlockDump", level }))
).pipe(Command.withDescription("Dump the data of a block device to a file."))

const setBlock = (
  a: DestinationArgs,
  name: Name,
  file: string,
  compression: Option.Option<number>
) =>
  Effect.gen(function* () {
    const destination = yield* resolveDestination(a)
    const level = defaultCompression(destination, compression)
    return yield* execute(destination, name, { _tag: "BlockSet", compressed: level > 0 }, fileUpload(file, level))
  })

export const setBlockCommand = Command.make(
  "set-block",
  {
    name: nameArg("BLOCK-NAME"),
    file: existingFileArg("FILE", "Block device content (filename)"),
    compression: compressionOption,
    ...destinationOptions
  },
  (a) => runHandler(a.json, setBlock(a, a.name, a.file, a.compression))
).pipe(Command.withDescription("Overwrite a block device with the content of a file."))

export const createBlockCommand = Command.make(
  "create-block",
  {
    name: nameArg("BLOCK-NAME"),
    size: Args.integer({ name: "BLOCK-SIZE" }).pipe(Args.withDescription("Block storage (in MB)")),
    data: existingFileOption("data", "Block device content (filename)").pipe(Options.optional),
    compression: compressionOption,
    ...destinationOptions
  },
  (a) =>
    runHandler(
      a.json,
      Effect.gen(function* () {
        if (Option.isSome(a.data)) {
          const bytes = BigInt(a.size) << 20n
          if (bytes <= BigInt(a.size)) return yield* Effect.fail(cliError("overflow while computing bytes"))
          if (bytes < BigInt(fs.statSync(a.data.value).size)) return yield* Effect.fail(cliError("data exceeds size"))
        }
        const destination = yield* resolveDestination(a)
        const added = yield* execute(destination, a.name, { _tag: "BlockAdd", size: a.size })
        // unlike the reference, data is only written into a block device this command created
        if (Option.isNone(a.data) || added !== ExitCode.success) return added
        return yield* setBlock(a, a.name, a.data.value, a.compression)
      })
    )
).pipe(Command.withDescription("Create a block device, optionally filled with the content of a file."))

export const blockCommands = [blockCommand, createBlockCommand, destroyBlockCommand, setBlockCommand, dumpBlockCommand] as const
