/** Plain stderr logging for the metrics daemons: `<program>: [LEVEL] message`, level chosen by -v / -q. */
import { Layer, Logger, LogLevel } from "effect"

const text = (message: unknown): string =>
  Array.isArray(message) ? message.map((m) => (typeof m === "string" ? m : String(m))).join(" ") : String(message)

export type Verbosity = "quiet" | "error" | "warning" | "info" | "debug"

const LEVELS: Record<Verbosity, LogLevel.LogLevel> = {
  quiet: LogLevel.None,
  error: LogLevel.Error,
  warning: LogLevel.Warning,
  info: LogLevel.Info,
  debug: LogLevel.Debug
}

/** `--verbosity` wins over `-v` (debug) and `-q` (errors only); the default is info. */
export const daemonLogger = (program: string, verbose: boolean, quiet: boolean, verbosity?: Verbosity): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        process.stderr.write(`${program}: [${logLevel.label}] ${text(message)}\n`)
      })
    ),
    Logger.minimumLogLevel(
      verbosity !== undefined ? LEVELS[verbosity] : verbose ? LogLevel.Debug : quiet ? LogLevel.Error : LogLevel.Info
    )
  )
