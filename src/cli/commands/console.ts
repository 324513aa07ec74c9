/** `console`, `inactive-consoles` (spec §11.2). */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Option } from "effect"
import { destinationOptions } from "../destination.js"
import { sendCommand } from "../handler.js"
import { nameArg, pathOption } from "../options.js"

const rfc3339Pattern = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/

/** `Ptime.of_rfc3339`, or a bare date taken as midnight UTC. */
export const parseTimestamp = (s: string): Option.Option<Date> => {
  const full = rfc3339Pattern.test(s) ? s : /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : undefined
  if (full === undefined) return Option.none()
  const d = new Date(full.replace(" ", "T"))
  return Number.isNaN(d.getTime()) ? Option.none() : Option.some(d)
}

const since = Options.text("since").pipe(
  Options.withDescription("Receive all lines since timestamp (RFC 3339, e.g. '--since=2023-03-12T23:42:15Z', or a date)"),
  Options.mapEffect((s) =>
    Option.match(parseTimestamp(s), {
      onNone: () => Effect.fail(ValidationError.invalidValue(HelpDoc.p("option '--since': couldn't parse timestamp"))),
      onSome: Effect.succeed
    })
  ),
  Options.optional
)

const count = Options.integer("count").pipe(
  Options.withDescription("Receive the specified amount of lines"),
  Options.withDefault(20)
)

export const consoleCommand = Command.make(
  "console",
  { name: nameArg(), since, count, ...destinationOptions },
  (a) =>
    sendCommand(a, a.name, {
      _tag: "ConsoleSubscribe",
      query: Option.match(a.since, {
        onNone: () => ({ _tag: "Count" as const, count: BigInt(a.count) }),
        onSome: (since) => ({ _tag: "Since" as const, since })
      })
    })
).pipe(Command.withDescription("Displays the console output of a unikernel (until the daemon closes the stream)."))

export const inactiveConsolesCommand = Command.make(
  "inactive-consoles",
  { path: pathOption, ...destinationOptions },
  (a) => sendCommand(a, a.path, { _tag: "ConsoleListInactive" })
).pipe(Command.withDescription("Displays the inactive but available consoles."))

export const consoleCommands = [consoleCommand, inactiveConsolesCommand] as const
