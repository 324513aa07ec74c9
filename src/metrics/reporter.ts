/**
 * Self-metrics reporting (`--influx HOST[:PORT]` of albatrossd, albatross-console and
 * albatross-stats; spec §9.3, the reference's Albatrossd_utils.init_influx): an enabled registry
 * with the process sources (resource_usage, kinfo_mem, logs), provided as `SelfMetrics` for the
 * daemon to add its own, and a fiber that right away and then every 10 s reads the polled
 * sources and writes every source's last measurement, tagged `vm=<program>`, to the listener
 * over a lazily (re)connected TCP socket. A failed connect or write is logged and retried at the
 * next report; the daemon never waits for it.
 */
import { Data, Duration, Effect, Either, FiberRef, HashSet, Layer, Logger, Option, Schedule } from "effect"
import { type HostPort, parseHostPort } from "../daemons/influx/endpoint.js"
import { logsSource } from "./logs-source.js"
import { processSources } from "./process-source.js"
import { MetricsRegistry } from "./registry.js"
import { SelfMetrics } from "./service.js"
import { type LineSink, tcpSink } from "./tcp-sink.js"

export const REPORT_INTERVAL = Duration.seconds(10)

/** The `vm` tag of each daemon's measurements. */
export type Program = "albatross" | "albatross_console" | "albatross_stats"

export interface ReporterOptions {
  readonly target: HostPort
  readonly vm: Program
  readonly interval?: Duration.Duration
}

/** One report: read the polled sources, write the batch. Never fails; a failure is logged once per outage. */
export const reportOnce = (registry: MetricsRegistry, vm: string, sink: LineSink, state: { failing: boolean }): Effect.Effect<void> =>
  Effect.gen(function* () {
    registry.collect()
    const lines = registry.batch(vm)
    if (lines === "") return
    const written = yield* Effect.either(sink.write(lines))
    if (written._tag === "Right") {
      if (state.failing) yield* Effect.logInfo(`metrics: reporting to ${sink.describe} again`)
      state.failing = false
      return
    }
    const e = written.left
    const text = e.stage === "connect" ? `metrics: connection failure to ${sink.describe}: ${e.message}` : `metrics: error on write to ${sink.describe}: ${e.message}`
    if (state.failing) yield* Effect.logDebug(text)
    else yield* Effect.logWarning(`${text} (retrying every report)`)
    state.failing = true
  })

/** Reports now and then every interval, forever. */
export const runReporter = (registry: MetricsRegistry, vm: string, sink: LineSink, interval: Duration.Duration = REPORT_INTERVAL): Effect.Effect<never> => {
  const state = { failing: false }
  const once = reportOnce(registry, vm, sink, state).pipe(Effect.catchAllCause((cause) => Effect.logError("metrics: report failed", cause)))
  return Effect.zipRight(Effect.repeat(once, Schedule.fixed(interval)), Effect.never)
}

/** An enabled registry with the process sources, its reporter running in the layer's scope, as `SelfMetrics`. */
export const selfMetricsLayer = (options: ReporterOptions): Layer.Layer<never> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const registry = new MetricsRegistry(true)
      processSources(registry)
      const logs = logsSource(registry)
      const sink = tcpSink(options.target)
      const interval = options.interval ?? REPORT_INTERVAL
      const reporter = Layer.scopedDiscard(
        Effect.gen(function* () {
          yield* Effect.logInfo(`metrics: reporting to ${sink.describe} every ${Duration.format(interval)}`)
          yield* Effect.addFinalizer(() => sink.close)
          // forked here, the fiber does not see the logger the merged layer adds: its own warnings count too
          yield* Effect.forkScoped(
            Effect.locallyWith(runReporter(registry, options.vm, sink, interval), FiberRef.currentLoggers, HashSet.add(logs.logger))
          )
        })
      )
      return Layer.mergeAll(Layer.succeed(SelfMetrics, registry), Logger.add(logs.logger), reporter)
    })
  )

/** The `--influx` option of a daemon: absent → no layer (nothing reported); a bad HOST[:PORT] → its error text. */
export const influxLayer = (influx: Option.Option<string>, vm: Program): Either.Either<Layer.Layer<never>, string> =>
  Option.match(influx, {
    onNone: () => Either.right(Layer.empty),
    onSome: (s) => Either.map(parseHostPort(s), (target) => selfMetricsLayer({ target, vm }))
  })

export class InfluxOptionError extends Data.TaggedError("InfluxOptionError")<{ readonly message: string }> {}

/** `influxLayer` as an effect failing with `--influx: <reason>`. */
export const influxReporting = (influx: Option.Option<string>, vm: Program): Effect.Effect<Layer.Layer<never>, InfluxOptionError> =>
  Either.match(influxLayer(influx, vm), {
    onLeft: (reason) => Effect.fail(new InfluxOptionError({ message: `--influx: ${reason}` })),
    onRight: Effect.succeed
  })
