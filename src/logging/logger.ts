/**
 * The daemons' logger: `<program>: [LEVEL] message` on stderr (the level colored on a terminal,
 * or as `--color` says), or syslog with `--syslog`; the level from the flags (level.ts).
 */
import { Effect, Layer, Logger, LogLevel, Option } from "effect"
import { chooseLevel, type Verbosity } from "./level.js"
import { defaultSyslogSocket, openSyslog, type Severity, type SyslogSink } from "./syslog.js"

export interface LoggingFlags {
  readonly verbose: boolean
  readonly quiet: boolean
  readonly verbosity: Option.Option<Verbosity>
  readonly color: "auto" | "always" | "never"
  readonly syslog: boolean
  readonly syslogSocket: Option.Option<string>
}

/** The defaults, for callers that take no logging options (tests, embedded use). */
export const defaultLoggingFlags: LoggingFlags = {
  verbose: false,
  quiet: false,
  verbosity: Option.none(),
  color: "never",
  syslog: false,
  syslogSocket: Option.none()
}

const text = (message: unknown): string =>
  Array.isArray(message) ? message.map((m) => (typeof m === "string" ? m : String(m))).join(" ") : String(message)

const COLORS: Partial<Record<LogLevel.LogLevel["_tag"], string>> = {
  Fatal: "\x1b[1;31m",
  Error: "\x1b[31m",
  Warning: "\x1b[33m",
  Info: "\x1b[34m",
  Debug: "\x1b[32m"
}

const severity = (level: LogLevel.LogLevel): Severity => {
  switch (level._tag) {
    case "Fatal":
      return 2
    case "Error":
      return 3
    case "Warning":
      return 4
    case "Info":
      return 6
    default:
      return 7
  }
}

const stderrLine = (program: string, colored: boolean, level: LogLevel.LogLevel, message: string): string => {
  const color = colored ? COLORS[level._tag] : undefined
  const label = color === undefined ? level.label : `${color}${level.label}\x1b[0m`
  return `${program}: [${label}] ${message}\n`
}

export const loggingLayer = (program: string, flags: LoggingFlags): Layer.Layer<never> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const colored = flags.color === "always" || (flags.color === "auto" && process.stderr.isTTY === true)
      let sink: SyslogSink | undefined
      if (flags.syslog) {
        const socketPath = Option.getOrElse(flags.syslogSocket, defaultSyslogSocket)
        sink = yield* openSyslog(program, socketPath, (reason) => {
          sink = undefined
          process.stderr.write(stderrLine(program, colored, LogLevel.Error, `syslog reporter stopped (${reason}); logging to stderr`))
        }).pipe(
          Effect.catchAll((e) =>
            Effect.sync(() => {
              // the reference's words and exit code; it prints them on stdout
              process.stdout.write(`ERROR: couldn't install syslog reporter: ${e.message}\n`)
              return process.exit(2)
            })
          )
        )
      }
      const logger = Logger.make(({ logLevel, message }) => {
        const line = text(message)
        if (sink !== undefined) sink.write(severity(logLevel), line)
        else process.stderr.write(stderrLine(program, colored, logLevel, line))
      })
      const level = chooseLevel({ verbose: flags.verbose, quiet: flags.quiet, verbosity: Option.getOrUndefined(flags.verbosity) })
      return Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(level))
    })
  )
