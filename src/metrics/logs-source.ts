/**
 * The `logs` source (metrics-lwt's `log_stats`, which the reference's periodic collector
 * includes): how many warnings and errors the daemon has logged, fields `warnings` and
 * `errors`. Counted by an extra logger next to the daemon's own, so it sees exactly the
 * messages the chosen log level lets through, as the Logs library counts.
 */
import { Logger, LogLevel } from "effect"
import { field } from "./line-protocol.js"
import { type MetricsRegistry, ORDER } from "./registry.js"

export interface LogCounts {
  warnings: number
  errors: number
}

/** Registers the polled source; returns the counts and the logger that keeps them. */
export const logsSource = (registry: MetricsRegistry): { readonly counts: LogCounts; readonly logger: Logger.Logger<unknown, void> } => {
  const counts: LogCounts = { warnings: 0, errors: 0 }
  const logger = Logger.make(({ logLevel }) => {
    if (logLevel._tag === "Warning") counts.warnings++
    else if (LogLevel.greaterThanEqual(logLevel, LogLevel.Error)) counts.errors++
  })
  registry.poll(registry.source("logs", ORDER.logs), [], () => [field.int("warnings", counts.warnings), field.int("errors", counts.errors)])
  return { counts, logger }
}
