/** Command line of albatrossd (spec §4.1) and the choice of host layers by OS. */
import * as path from "node:path"
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Either, Layer, Option } from "effect"
import { Name } from "../../domain/name.js"
import { HostServicesFreeBsd } from "../../layers/freebsd/host-services.js"
import { HostServicesLinux } from "../../layers/linux/host-services.js"
import { HostFacts } from "../../services/host-facts.js"
import { MAX_FRAME_DEFAULT } from "../../wire/framing.js"
import { influxLayer } from "../../metrics/reporter.js"
import { loggingLayer } from "../../logging/logger.js"
import { loggingOptions } from "../../logging/options.js"
import { Host } from "./host.js"
import { hostFromServices } from "./host-live.js"
import { DEFAULT_RESTART_LIMITS, type DaemonOptions } from "./options.js"
import { runDaemon, StartError } from "./startup.js"

const isFreeBsd = process.platform === "freebsd"
export const defaultTmpdir = (): string => (process.platform === "linux" ? "/run/albatross" : "/var/run/albatross")
export const defaultDbdir = (): string => (process.platform === "linux" ? "/var/lib/albatross" : "/var/db/albatross")

const positive = (what: string) => (n: number) => (n > 0 && Number.isFinite(n) ? Option.some(n) : Option.none())

const tmpdir = Options.directory("tmpdir", { exists: "yes" }).pipe(
  Options.withDefault(defaultTmpdir()),
  Options.withDescription("Runtime directory (sockets in <tmpdir>/util/, FIFOs in <tmpdir>/fifo/, images)")
)
const dbdir = Options.directory("dbdir").pipe(
  Options.withDefault(defaultDbdir()),
  Options.withDescription("Persistent directory (state file, block devices, tenders)")
)
const systemd = Options.boolean("systemd-socket-activation").pipe(Options.withDescription("Take the listening socket from systemd (fd 3)"))
const noDropPath = Options.boolean("no-drop-path").pipe(
  Options.withDescription("Inject --name=<full name> instead of the label alone")
)
const zvol = Options.text("allow-zvol-for").pipe(
  Options.optional,
  Options.withDescription("Path whose unikernels may use /dev/zvol block devices without accounting")
)
const influx = Options.text("influx").pipe(
  Options.optional,
  Options.withDescription("HOST[:PORT] (default port 8094) of an Influx line-protocol TCP listener to report the daemon's own metrics to every 10 s")
)
const crashLoopRestarts = Options.integer("crash-loop-restarts").pipe(
  Options.withDefault(DEFAULT_RESTART_LIMITS.maxRestarts),
  Options.filterMap(positive("restarts"), "crash-loop-restarts must be positive"),
  Options.withDescription("Automatic restarts allowed within the crash-loop window before giving up")
)
const crashLoopWindow = Options.float("crash-loop-window").pipe(
  Options.withDefault(Duration.toSeconds(DEFAULT_RESTART_LIMITS.window)),
  Options.filterMap(positive("window"), "crash-loop-window must be positive"),
  Options.withDescription("Crash-loop window in seconds")
)
const restartDelay = Options.float("restart-delay").pipe(
  Options.withDefault(Duration.toSeconds(DEFAULT_RESTART_LIMITS.baseDelay)),
  Options.filterMap(positive("delay"), "restart-delay must be positive"),
  Options.withDescription("Delay before the first automatic restart in seconds (doubles with every further one)")
)
const restartDelayMax = Options.float("restart-delay-max").pipe(
  Options.withDefault(Duration.toSeconds(DEFAULT_RESTART_LIMITS.maxDelay)),
  Options.filterMap(positive("delay"), "restart-delay-max must be positive"),
  Options.withDescription("Longest delay between automatic restarts in seconds")
)
const maxFrame = Options.integer("max-frame").pipe(
  Options.withDefault(MAX_FRAME_DEFAULT),
  Options.filterMap(positive("size"), "max-frame must be positive"),
  Options.withDescription("Largest request accepted, in bytes (the default admits a 64 MB image)")
)
const readTimeout = Options.float("read-timeout").pipe(
  Options.withDefault(300),
  Options.filterMap(positive("timeout"), "read-timeout must be positive"),
  Options.withDescription("Seconds a client may stay silent before its connection is closed")
)
const stopTimeout = Options.float("stop-timeout").pipe(
  Options.withDefault(30),
  Options.filterMap(positive("timeout"), "stop-timeout must be positive"),
  Options.withDescription("Seconds a tender may take to exit after SIGTERM before it gets SIGKILL")
)

/** The host services for this OS, then the checks of spec §4.2 step 3 (required tools). */
const hostLayer = (tmp: string, db: string) => {
  const services = (isFreeBsd ? HostServicesFreeBsd : HostServicesLinux)({ tmpdir: tmp, dbdir: db })
  return Layer.effect(
    Host,
    Effect.gen(function* () {
      const facts = yield* HostFacts
      yield* Effect.mapError(facts.checkTools, (e) => new StartError({ message: e.message }))
      return yield* hostFromServices(isFreeBsd ? "freebsd" : "linux")
    })
  ).pipe(Layer.provide(services))
}

export const albatrossdCommand = Command.make(
  "albatrossd",
  {
    tmpdir,
    dbdir,
    systemd,
    noDropPath,
    zvol,
    influx,
    crashLoopRestarts,
    crashLoopWindow,
    restartDelay,
    restartDelayMax,
    maxFrame,
    readTimeout,
    stopTimeout,
    ...loggingOptions
  },
  (o) =>
    Effect.gen(function* () {
      const metrics = influxLayer(o.influx, "albatross")
      if (Either.isLeft(metrics)) return yield* new StartError({ message: `--influx: ${metrics.left}` })
      let zvolPath: ReadonlyArray<string> | undefined
      if (Option.isSome(o.zvol)) {
        const s = o.zvol.value
        const parsed = Name.fromString(s.endsWith(":") ? s : `${s}:`)
        if (Either.isLeft(parsed)) return yield* new StartError({ message: `--allow-zvol-for: ${parsed.left}` })
        zvolPath = parsed.right.path
      }
      const options: DaemonOptions = {
        tmpdir: path.resolve(o.tmpdir),
        dbdir: path.resolve(o.dbdir),
        dropPath: !o.noDropPath,
        zvolPath,
        systemdSocketActivation: o.systemd,
        restart: {
          baseDelay: Duration.millis(o.restartDelay * 1000),
          maxDelay: Duration.millis(o.restartDelayMax * 1000),
          maxRestarts: o.crashLoopRestarts,
          window: Duration.millis(o.crashLoopWindow * 1000)
        },
        maxFrame: o.maxFrame,
        readTimeout: Duration.millis(o.readTimeout * 1000),
        consoleTimeout: Duration.seconds(30),
        stopTimeout: Duration.millis(o.stopTimeout * 1000)
      }
      return yield* Effect.provide(runDaemon(options), Layer.merge(hostLayer(options.tmpdir, options.dbdir), metrics.right))
    }).pipe(
      Effect.tapError((e) => Effect.logError(e.message)),
      Effect.provide(loggingLayer("albatrossd", o))
    )
).pipe(Command.withDescription("Albatross daemon: creates, supervises, restarts and persists unikernels"))
