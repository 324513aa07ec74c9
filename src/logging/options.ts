/** The logging options every daemon takes (the reference's LOGGING OPTIONS, spec §13.2). */
import { Options } from "@effect/cli"
import { VERBOSITIES } from "./level.js"

export const loggingOptions = {
  verbose: Options.boolean("verbose").pipe(
    Options.withAlias("v"),
    Options.withDescription("Log debug messages (-vv is accepted and means the same)")
  ),
  quiet: Options.boolean("quiet").pipe(
    Options.withAlias("q"),
    Options.withDescription("Log nothing at all; takes over -v and --verbosity")
  ),
  verbosity: Options.choice("verbosity", VERBOSITIES).pipe(
    Options.optional,
    Options.withDescription("Log level (quiet, error, warning, info or debug); takes over -v")
  ),
  color: Options.choice("color", ["auto", "always", "never"] as const).pipe(
    Options.withDefault("auto" as const),
    Options.withDescription("Color the level of each log line: auto (when stderr is a terminal), always or never")
  ),
  syslog: Options.boolean("syslog").pipe(Options.withDescription("Send the logs to syslog (facility daemon) instead of stderr")),
  syslogSocket: Options.text("syslog-socket").pipe(
    Options.optional,
    Options.withDescription("The syslog socket used with --syslog (default /dev/log, /var/run/log on FreeBSD)")
  )
}
