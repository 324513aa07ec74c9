/** Plain stderr logging for the metrics daemons: `<program>: [LEVEL] message`, level chosen by -v / -q. */
import { Layer, Logger, LogLevel } from "effect"

const text = (message: unknown): string =>
  Array.isArray(message) ? message.map((m) => (typeof m === "string" ? m : String(m))).join(" ") : String(message)

export const daemonLogger = (program: string, verbose: boolean, quiet: boolean): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        process.stderr.write(`${program}: [${logLevel.label}] ${text(message)}\n`)
      })
    ),
    Logger.minimumLogLevel(verbose ? LogLevel.Debug : quiet ? LogLevel.Error : LogLevel.Info)
  )
