/** `stats`, `stats-add`, `stats-remove` (spec §11.2). */
import { Args, Command, Options } from "@effect/cli"
import { Either, Option } from "effect"
import { destinationOptions } from "../destination.js"
import { sendCommand } from "../handler.js"
import { optionalNameOption, repeatedWith } from "../options.js"

export const statsCommand = Command.make("stats", { name: optionalNameOption(), ...destinationOptions }, (a) =>
  sendCommand(a, a.name, { _tag: "StatsSubscribe" })
).pipe(Command.withDescription("Statistics of unikernels (until the daemon closes the stream)."))

export const statsRemoveCommand = Command.make(
  "stats-remove",
  { name: optionalNameOption(), ...destinationOptions },
  (a) => sendCommand(a, a.name, { _tag: "StatsRemove" })
).pipe(Command.withDescription("Remove a unikernel from statistics gathering."))

const bridgeTap = repeatedWith("bridge", "Bridge and tap device names (format is 'bridge:tap'; may be repeated)", (s) => {
  const parts = s.split(":")
  return parts.length === 2
    ? Either.right({ bridge: parts[0]!, tap: parts[1]! })
    : Either.left("broken, format is bridge:tap")
})

export const statsAddCommand = Command.make(
  "stats-add",
  {
    pid: Args.integer({ name: "PID" }).pipe(Args.withDescription("Process ID of the process to monitor")),
    vmmdev: Options.text("vmmdev").pipe(
      Options.withDescription("VMM device name for gathering VMM statistics (/dev/vmm/<YYY>)"),
      Options.optional
    ),
    bridge: bridgeTap,
    name: optionalNameOption(),
    ...destinationOptions
  },
  (a) =>
    sendCommand(a, a.name, {
      _tag: "StatsAdd",
      vmmdev: Option.getOrElse(a.vmmdev, () => ""),
      pid: a.pid,
      taps: a.bridge
    })
).pipe(Command.withDescription("Add a unikernel to statistics gathering."))

export const statsCommands = [statsCommand, statsAddCommand, statsRemoveCommand] as const
