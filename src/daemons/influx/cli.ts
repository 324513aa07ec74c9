/** Command line of albatross-influx (spec §9.1) plus the HTTP mode (`--influx-url`). */
import { Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { Name } from "../../domain/name.js"
import { loggingLayer } from "../../logging/logger.js"
import { loggingOptions } from "../../logging/options.js"
import { tmpdirOption } from "../stats/cli.js"
import { runInflux } from "./client.js"
import { parseHostPort } from "./endpoint.js"
import { httpWriter, tcpWriter, type LineWriter } from "./writer.js"

export class InfluxUsageError extends Error {}

const influx = Options.text("influx").pipe(
  Options.optional,
  Options.withDescription("IP address (or host name) and port (default: 8094) of a line-protocol TCP listener (telegraf socket_listener)")
)
const influxUrl = Options.text("influx-url").pipe(
  Options.optional,
  Options.withDescription("InfluxDB HTTP write endpoint, e.g. http://127.0.0.1:8086/write?db=albatross (1.x) or http://host:8086/api/v2/write?org=O&bucket=B (2.x)")
)
const influxToken = Options.text("influx-token").pipe(
  Options.optional,
  Options.withDescription("InfluxDB 2.x API token for --influx-url (default: $INFLUX_TOKEN)")
)
const name = Options.text("name").pipe(
  Options.withAlias("n"),
  Options.withDefault(":"),
  Options.mapEffect((s) =>
    Either.match(Name.fromString(s), {
      onLeft: (e) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`invalid name ${JSON.stringify(s)}: ${e}`))),
      onRight: (n) => Effect.succeed(n)
    })
  ),
  Options.withDescription("name of unikernel (or path) to report; default ':' = everything")
)
const noDropPath = Options.boolean("no-drop-path").pipe(Options.withDescription("Do not drop unikernel path, use full path"))

export const chooseWriter = (
  host: Option.Option<string>,
  url: Option.Option<string>,
  token: Option.Option<string>
): Either.Either<LineWriter, string> => {
  if (Option.isSome(host) && Option.isSome(url)) return Either.left("--influx and --influx-url exclude each other")
  if (Option.isSome(url)) {
    let parsed: URL
    try {
      parsed = new URL(url.value)
    } catch {
      return Either.left(`invalid URL ${JSON.stringify(url.value)}`)
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return Either.left(`--influx-url must be http or https: ${url.value}`)
    const t = Option.getOrUndefined(token) ?? process.env["INFLUX_TOKEN"]
    return Either.right(httpWriter(parsed.toString(), t === "" ? undefined : t))
  }
  if (Option.isNone(host)) return Either.left("influx host not provided")
  return Either.map(parseHostPort(host.value), tcpWriter)
}

export const influxCommand = Command.make(
  "albatross-influx",
  {
    influx,
    influxUrl,
    influxToken,
    name,
    noDropPath,
    tmpdir: tmpdirOption,
    ...loggingOptions
  },
  (o) =>
    Either.match(chooseWriter(o.influx, o.influxUrl, o.influxToken), {
      onLeft: (message) => Effect.fail(new InfluxUsageError(message)),
      onRight: (writer) =>
        runInflux({ tmpdir: o.tmpdir, name: o.name, noDropPath: o.noDropPath, writer }).pipe(
          Effect.provide(loggingLayer("albatross-influx", o))
        )
    })
).pipe(Command.withDescription("Albatross Influx connector: pushes the statistics of albatross-stats to InfluxDB"))
