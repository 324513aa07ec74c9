/**
 * Which messages a daemon logs, from the logging flags the reference takes from OCaml's
 * Logs_cli: `-q` silences everything and takes over the rest, `--verbosity=LEVEL` takes over
 * `-v`, and `-v` (any number of times) asks for debug messages.
 *
 * One difference, kept on purpose: with no flag the reference logs warnings and errors only;
 * ours also logs info (a unikernel created, a client rejected, a peer reconnected), the lines
 * that tell what the daemon did, so one `-v` already means debug here.
 */
import { LogLevel } from "effect"

export const VERBOSITIES = ["quiet", "error", "warning", "info", "debug"] as const
export type Verbosity = (typeof VERBOSITIES)[number]

const LEVELS: Record<Verbosity, LogLevel.LogLevel> = {
  quiet: LogLevel.None,
  error: LogLevel.Error,
  warning: LogLevel.Warning,
  info: LogLevel.Info,
  debug: LogLevel.Debug
}

export interface LevelFlags {
  readonly verbose: boolean
  readonly quiet: boolean
  readonly verbosity?: Verbosity | undefined
}

export const chooseLevel = (flags: LevelFlags): LogLevel.LogLevel =>
  flags.quiet
    ? LogLevel.None
    : flags.verbosity !== undefined
      ? LEVELS[flags.verbosity]
      : flags.verbose
        ? LogLevel.Debug
        : LogLevel.Info

/** Nothing at all is logged: what `--inetd` needs when the logs would go to stdout. */
export const isSilent = (flags: LevelFlags): boolean => chooseLevel(flags) === LogLevel.None
