/**
 * albatross-console (spec §7): serves `<tmpdir>/util/console.sock`, reads the console FIFOs of
 * the unikernels albatrossd announces, keeps their last 1,024 lines, and streams them to
 * subscribers. Nothing is written to disk.
 */
import * as path from "node:path"
import { Effect, FiberSet, type Scope } from "effect"
import { counted, ConnectionCounter } from "../../metrics/connections.js"
import { SelfMetrics } from "../../metrics/service.js"
import { type ListenError, serveUnix } from "../../net/server.js"
import type { ConsoleFifo } from "../../services/console-fifo.js"
import { handleConnection } from "./handler.js"
import { ConsoleRegistry } from "./registry.js"
import { DEFAULT_QUEUE_BYTES, QueueBudget } from "./subscriber.js"

export interface ConsoleDaemonOptions {
  readonly tmpdir: string
  readonly maxSubscribers: number
  readonly systemdSocketActivation: boolean
  /** Bytes queued for one subscriber before it loses lines. */
  readonly maxQueuedBytes?: number
  /** Bytes queued for all subscribers together before any loses lines. */
  readonly maxTotalQueuedBytes?: number
}

export const consoleSocketPath = (tmpdir: string) => path.join(tmpdir, "util", "console.sock")

/** Starts serving in the current scope; returns the registry (tests look into it). */
export const startConsoleDaemon = (
  options: ConsoleDaemonOptions
): Effect.Effect<ConsoleRegistry, ListenError, ConsoleFifo | Scope.Scope> =>
  Effect.gen(function* () {
    const registry = new ConsoleRegistry(options.maxSubscribers, new QueueBudget(options.maxTotalQueuedBytes))
    const readers = yield* FiberSet.make()
    // self-metrics (spec §9.3); fifo before unix, the reference's order in a batch
    const metrics = yield* SelfMetrics
    const fifos = new ConnectionCounter(metrics, "fifo")
    const connections = new ConnectionCounter(metrics, "unix")
    const ctx = {
      fifos,
      registry,
      tmpdir: options.tmpdir,
      readers,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_QUEUE_BYTES
    }
    yield* serveUnix(
      {
        path: consoleSocketPath(options.tmpdir),
        systemdSocketActivation: options.systemdSocketActivation,
        // subscribers and albatrossd's link are long-lived; leave room for many
        maxConnections: 16384
      },
      (conn) => counted(connections, handleConnection(ctx)(conn))
    )
    return registry
  })

export const runConsoleDaemon = (options: ConsoleDaemonOptions) =>
  Effect.scoped(Effect.zipRight(startConsoleDaemon(options), Effect.never))
