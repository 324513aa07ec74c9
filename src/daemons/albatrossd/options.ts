/** Settings of albatrossd (spec §4.1) plus the supervision and robustness knobs of issue 3. */
import { Duration } from "effect"
import { MAX_FRAME_DEFAULT } from "../../wire/framing.js"

export interface RestartLimits {
  /** First automatic restart waits this long; each following one doubles it. */
  readonly baseDelay: Duration.Duration
  /** Upper bound on the delay between automatic restarts. */
  readonly maxDelay: Duration.Duration
  /** Crash-loop cap: at most `maxRestarts` automatic restarts within `window`, then give up. */
  readonly maxRestarts: number
  readonly window: Duration.Duration
}

export interface DaemonOptions {
  readonly tmpdir: string
  readonly dbdir: string
  /** `--name=<label>` (true, default) or `--name=<full name>` (`--no-drop-path`), spec §2.5. */
  readonly dropPath: boolean
  /** `--allow-zvol-for PATH`. */
  readonly zvolPath: ReadonlyArray<string> | undefined
  readonly systemdSocketActivation: boolean
  readonly restart: RestartLimits
  readonly maxFrame: number
  readonly readTimeout: Duration.Duration
  /** Longest wait for albatross-console's reply to Console_add. */
  readonly consoleTimeout: Duration.Duration
  /** A tender still running this long after SIGTERM (destroy, shutdown) gets SIGKILL. */
  readonly stopTimeout: Duration.Duration
}

export const DEFAULT_RESTART_LIMITS: RestartLimits = {
  baseDelay: Duration.millis(100),
  maxDelay: Duration.seconds(30),
  maxRestarts: 10,
  window: Duration.minutes(1)
}

export const defaultOptions = (tmpdir: string, dbdir: string): DaemonOptions => ({
  tmpdir,
  dbdir,
  dropPath: true,
  zvolPath: undefined,
  systemdSocketActivation: false,
  restart: DEFAULT_RESTART_LIMITS,
  maxFrame: MAX_FRAME_DEFAULT,
  readTimeout: Duration.minutes(5),
  consoleTimeout: Duration.seconds(30),
  stopTimeout: Duration.seconds(30)
})
