/** `create`, `restart`, `destroy`, `info`, `get` (spec §11.2). */
import * as fs from "node:fs"
import { Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import type { FailBehaviour, UnikernelArguments, UnikernelConfig } from "../../domain/unikernel.js"
import { defaultCompression, destinationOptions, resolveDestination } from "../destination.js"
import { cliError, type ClientExit } from "../exit-code.js"
import { deflate } from "../files.js"
import { runHandler, sendCommand, sendCompressed } from "../handler.js"
import { checkImageManifest } from "../manifest.js"
import {
  compressionOption,
  configOptions,
  existingFileArg,
  intSet,
  isSet,
  nameArg,
  optionalNameOption
} from "../options.js"
import { execute } from "../session.js"
import { updateCommand } from "./update.js"

export const destroyCommand = Command.make("destroy", { name: nameArg(), ...destinationOptions }, (a) =>
  sendCommand(a, a.name, { _tag: "UnikernelDestroy" })
).pipe(Command.withDescription("Destroys a unikernel."))

export const infoCommand = Command.make("info", { name: optionalNameOption(), ...destinationOptions }, (a) =>
  sendCommand(a, a.name, { _tag: "UnikernelInfo" })
).pipe(Command.withDescription("Retrieve information about unikernels."))

export const getCommand = Command.make(
  "get",
  { name: nameArg(), compression: compressionOption, ...destinationOptions },
  (a) => sendCompressed(a, a.name, (level) => ({ _tag: "UnikernelGet", level }))
).pipe(Command.withDescription("Download a running unikernel image to disk."))

type ConfigFlags = Command.Command.ParseConfig<typeof configOptions>

/**
 * The arguments part of a configuration from the flags, with the reference's checks
 * (`create_unikernel` / `restart`): netif and block names must be sets, cpuids non-empty.
 */
export const argumentsFromFlags = (
  flags: ConfigFlags,
  emptyCpuMessage: string
): Effect.Effect<UnikernelArguments, ClientExit> =>
  Effect.gen(function* () {
    if (!isSet(flags.net.map((n) => n.netif))) return yield* Effect.fail(cliError("Bridge names must be a set"))
    if (!isSet(flags.block.map((b) => b.name))) return yield* Effect.fail(cliError("Block devices must be a set"))
    const failBehaviour: FailBehaviour = flags.restart
      ? { _tag: "Restart", exitCodes: flags.exitCode.length === 0 ? null : intSet(flags.exitCode) }
      : { _tag: "Quit" }
    const cpuids = intSet(flags.cpu.length === 0 ? [0] : flags.cpu)
    if (cpuids.length === 0) return yield* Effect.fail(cliError(emptyCpuMessage))
    return {
      failBehaviour,
      startup: Option.getOrNull(flags.startup),
      addName: !flags.noAddName,
      cpuids,
      memory: flags.mem,
      blockDevices: flags.block,
      bridges: flags.net,
      argv: flags.arg.length === 0 ? null : flags.arg,
      numcpus: flags.cpus,
      linuxBootPartition: Option.getOrNull(flags.linuxBoot)
    }
  })

const createConfig = {
  name: nameArg(),
  image: existingFileArg("UNIKERNEL-IMAGE", "Filename of unikernel image (ignored for bhyve)"),
  typ: Options.choice("typ", ["solo5", "bhyve"]).pipe(
    Options.withDescription("Virtual machine type"),
    Options.withDefault("solo5" as const)
  ),
  force: Options.boolean("force").pipe(
    Options.withAlias("f"),
    Options.withDescription("Force unikernel creation (an existing one with the same name is destroyed)")
  ),
  compression: compressionOption,
  ...configOptions,
  ...destinationOptions
}

export const createCommand = Command.make("create", createConfig, (a) =>
  runHandler(
    a.json,
    Effect.gen(function* () {
      const args = yield* argumentsFromFlags(a, "CPUids may not be empty")
      const destination = yield* resolveDestination(a)
      const level = defaultCompression(destination, a.compression)
      let image: Uint8Array = new Uint8Array(0)
      let compressed = false
      if (a.typ === "solo5") {
        const read = yield* Effect.either(Effect.try(() => new Uint8Array(fs.readFileSync(a.image))))
        if (Either.isLeft(read)) return yield* Effect.fail(cliError(`${a.image}: ${String(read.left.error)}`))
        // the daemon would refuse a mismatch after receiving the whole image: tell now
        yield* checkImageManifest(read.right, args.bridges, args.blockDevices)
        image = read.right
        if (level > 0) {
          image = yield* Effect.mapError(deflate(read.right, level), (m) => cliError(`failed to compress: ${m}`))
          compressed = true
        }
      }
      const config: UnikernelConfig = { typ: a.typ, compressed, image, ...args }
      return yield* execute(
        destination,
        a.name,
        a.force ? { _tag: "UnikernelForceCreate", config } : { _tag: "UnikernelCreate", config }
      )
    })
  )
).pipe(Command.withDescription("Creates a unikernel."))

export const restartCommand = Command.make(
  "restart",
  {
    name: nameArg(),
    replaceArguments: Options.boolean("replace-arguments").pipe(
      Options.withDescription("Replace the arguments with the provided ones")
    ),
    ...configOptions,
    ...destinationOptions
  },
  (a) =>
    runHandler(
      a.json,
      Effect.gen(function* () {
        const args = a.replaceArguments ? yield* argumentsFromFlags(a, "CPUids cannot be empty") : null
        const destination = yield* resolveDestination(a)
        return yield* execute(destination, a.name, { _tag: "UnikernelRestart", args })
      })
    )
).pipe(Command.withDescription("Restarts a unikernel."))

export const unikernelCommands = [createCommand, restartCommand, destroyCommand, infoCommand, getCommand, updateCommand] as const
