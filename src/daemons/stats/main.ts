/**
 * albatross-stats (spec §8): serves `<tmpdir>/util/stat.sock`, keeps the link to albatrossd's
 * vmmd.sock, and samples every interval.
 */
import * as path from "node:path"
import { Duration, Effect, type Scope } from "effect"
import { counted, ConnectionCounter } from "../../metrics/connections.js"
import { SelfMetrics } from "../../metrics/service.js"
import { type ListenError, serveUnix } from "../../net/server.js"
import type { InterfaceStats } from "../../services/interface-stats.js"
import type { ProcessStats } from "../../services/process-stats.js"
import type { VmmStats } from "../../services/vmm-stats.js"
import { serveCommands } from "./handler.js"
import { atFixedRate } from "./fixed-rate.js"
import { makeRegistry } from "./registry.js"
import { vmmdLink } from "./vmmd-link.js"

export interface StatsDaemonOptions {
  readonly tmpdir: string
  readonly interval: Duration.Duration
  readonly gatherBhyve: boolean
  readonly systemdSocketActivation: boolean
}

export const statSocketPath = (tmpdir: string) => path.join(tmpdir, "util", "stat.sock")
export const vmmdSocketPath = (tmpdir: string) => path.join(tmpdir, "util", "vmmd.sock")

/** Starts everything in the current scope and returns the registry (tests look into it). */
export const startStatsDaemon = (
  options: StatsDaemonOptions
): Effect.Effect<Effect.Effect.Success<ReturnType<typeof makeRegistry>>, ListenError, ProcessStats | InterfaceStats | VmmStats | Scope.Scope> =>
  Effect.gen(function* () {
    const registry = yield* makeRegistry({ gatherBhyve: options.gatherBhyve })
    const connections = new ConnectionCounter(yield* SelfMetrics, "unix")
    yield* serveUnix(
      { path: statSocketPath(options.tmpdir), systemdSocketActivation: options.systemdSocketActivation },
      (conn) => counted(connections, serveCommands(conn, registry))
    )
    yield* Effect.forkScoped(vmmdLink(vmmdSocketPath(options.tmpdir), registry))
    // a fixed rate like the reference's periodic timer; a tick never fails, a defect is logged
    const tick = registry.tick.pipe(Effect.catchAllCause((cause) => Effect.logError("sampling failed", cause)))
    yield* Effect.forkScoped(atFixedRate(options.interval, tick))
    return registry
  })

export const runStatsDaemon = (options: StatsDaemonOptions) =>
  Effect.scoped(Effect.zipRight(startStatsDaemon(options), Effect.never))
