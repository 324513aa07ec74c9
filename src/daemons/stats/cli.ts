/** Command line of albatross-stats (spec §8). */
import { Command, Options } from "@effect/cli"
import { Duration, Effect, Layer, Option } from "effect"
import { freebsdInterfaceStatsLayer } from "../../layers/freebsd/interface-stats.js"
import { freebsdProcessStatsLayer } from "../../layers/freebsd/process-stats.js"
import { freebsdVmmStatsLayer } from "../../layers/freebsd/vmm-stats.js"
import { linuxInterfaceStatsLayer } from "../../layers/linux/interface-stats.js"
import { linuxProcessStatsLayer } from "../../layers/linux/process-stats.js"
import { linuxVmmStatsLayer } from "../../layers/linux/vmm-stats.js"
import { loggingLayer } from "../../logging/logger.js"
import { loggingOptions } from "../../logging/options.js"
import { influxReporting } from "../../metrics/reporter.js"
import { runStatsDaemon } from "./main.js"

export const defaultTmpdir = (): string => (process.platform === "linux" ? "/run/albatross" : "/var/run/albatross")

/** The host's sources: FreeBSD tools on FreeBSD, /proc and /sys everywhere else (Linux). */
export const hostSources = () =>
  process.platform === "freebsd"
    ? Layer.mergeAll(freebsdProcessStatsLayer, freebsdInterfaceStatsLayer, freebsdVmmStatsLayer())
    : Layer.mergeAll(linuxProcessStatsLayer(), linuxInterfaceStatsLayer(), linuxVmmStatsLayer)

export const tmpdirOption = Options.directory("tmpdir", { exists: "yes" }).pipe(
  Options.withDefault(defaultTmpdir()),
  Options.withDescription("Runtime directory (sockets are in <tmpdir>/util/)")
)

const interval = Options.float("interval").pipe(
  Options.withDefault(10),
  Options.filterMap((n) => (n > 0 && Number.isFinite(n) ? Option.some(n) : Option.none()), "interval must be a positive number of seconds"),
  Options.withDescription("Interval between statistics gatherings (in seconds)")
)
const gatherBhyve = Options.boolean("gather-bhyve-stats").pipe(Options.withDescription("Gather BHyve debug statistics (VMM)"))
const systemd = Options.boolean("systemd-socket-activation").pipe(
  Options.withDescription("Take the listening socket from systemd (fd 3)")
)
const influx = Options.text("influx").pipe(
  Options.optional,
  Options.withDescription("HOST[:PORT] (default port 8094) of an Influx line-protocol TCP listener to report the daemon's own metrics to every 10 s")
)

export const statsCommand = Command.make(
  "albatross-stats",
  {
    interval,
    tmpdir: tmpdirOption,
    gatherBhyve,
    systemd,
    influx,
    ...loggingOptions
  },
  (o) =>
    Effect.flatMap(influxReporting(o.influx, "albatross_stats"), (metrics) =>
      Effect.provide(
        runStatsDaemon({
          tmpdir: o.tmpdir,
          interval: Duration.seconds(o.interval),
          gatherBhyve: o.gatherBhyve,
          systemdSocketActivation: o.systemd
        }),
        metrics
      )
    ).pipe(
      Effect.tapError((e) => Effect.logError(e.message)),
      Effect.provide(Layer.merge(hostSources(), loggingLayer("albatross-stats", o)))
    )
).pipe(Command.withDescription("Statistics collection of unikernels"))
