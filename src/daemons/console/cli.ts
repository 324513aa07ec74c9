/** Command line of albatross-console (spec §7). */
import { Command, Options } from "@effect/cli"
import { Data, Effect, Either, Layer, Option } from "effect"
import { linuxConsoleFifoLayer } from "../../layers/linux/console-fifo.js"
import { influxLayer } from "../../metrics/reporter.js"
import { loggingLayer } from "../../logging/logger.js"
import { loggingOptions } from "../../logging/options.js"
import { defaultTmpdir } from "../stats/cli.js"
import { runConsoleDaemon } from "./main.js"

const tmpdir = Options.directory("tmpdir", { exists: "yes" }).pipe(
  Options.withDefault(defaultTmpdir()),
  Options.withDescription("Runtime directory (sockets are in <tmpdir>/util/, FIFOs in <tmpdir>/fifo/)")
)
const maxSubscribers = Options.integer("max-subscribers").pipe(
  Options.withDefault(5),
  Options.filterMap((n) => (n >= 1 ? Option.some(n) : Option.none()), "max subscribers must be greater than or equal to 1"),
  Options.withDescription("Maximum subscribers per unikernel console")
)
const systemd = Options.boolean("systemd-socket-activation").pipe(
  Options.withDescription("Take the listening socket from systemd (fd 3)")
)
const influx = Options.text("influx").pipe(
  Options.optional,
  Options.withDescription("HOST[:PORT] (default port 8094) of an Influx line-protocol TCP listener to report the daemon's own metrics to every 10 s")
)

class StartError extends Data.TaggedError("StartError")<{ readonly message: string }> {}

export const consoleCommand = Command.make(
  "albatross-console",
  { tmpdir, maxSubscribers, systemd, influx, ...loggingOptions },
  (o) =>
    Effect.gen(function* () {
      const metrics = influxLayer(o.influx, "albatross_console")
      if (Either.isLeft(metrics)) return yield* new StartError({ message: `--influx: ${metrics.left}` })
      yield* Effect.provide(
        runConsoleDaemon({ tmpdir: o.tmpdir, maxSubscribers: o.maxSubscribers, systemdSocketActivation: o.systemd }),
        metrics.right
      )
    }).pipe(
      Effect.tapError((e) => Effect.logError(e.message)),
      Effect.provide(Layer.merge(linuxConsoleFifoLayer, loggingLayer("albatross-console", o)))
    )
).pipe(Command.withDescription("Albatross console: keeps the last 1024 console lines of each unikernel and streams them to subscribers"))
