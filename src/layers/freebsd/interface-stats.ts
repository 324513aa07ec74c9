/**
 * FreeBSD interface counters through `ifconfig` and `netstat -I` (spec §8.3). The reference
 * reads the ifmibdata sysctl, unreachable from Node; netstat prints the same if_data counters.
 */
import { Effect, Either, Layer } from "effect"
import { InterfaceStats, InterfaceStatsError, isValidInterfaceName } from "../../services/interface-stats.js"
import { freebsdIfData } from "./interface-stats-parse.js"
import { runTool } from "./process-stats-tool.js"

const sample = (tap: string) =>
  Effect.all([runTool("ifconfig", [tap]), runTool("netstat", ["-I", tap, "-b", "-d", "-n", "-W"])], { concurrency: 2 }).pipe(
    Effect.flatMap(([ifconfig, netstat]) => {
      const data = freebsdIfData(tap, ifconfig, netstat)
      return Either.isRight(data) ? Effect.succeed(data.right) : Effect.fail(data.left)
    }),
    Effect.mapError((message) => new InterfaceStatsError({ tap, message: `failed to get ifdata for ${tap}: ${message}` }))
  )

export const freebsdInterfaceStatsLayer: Layer.Layer<InterfaceStats> = Layer.succeed(
  InterfaceStats,
  InterfaceStats.of({
    watch: (tap) =>
      !isValidInterfaceName(tap)
        ? Effect.fail(new InterfaceStatsError({ tap, message: `invalid interface name ${JSON.stringify(tap)}` }))
        : // resolving the name now is the if_nametoindex of the reference: unknown taps are dropped
          runTool("ifconfig", [tap]).pipe(
            Effect.mapError((message) => new InterfaceStatsError({ tap, message: `failed to get ifindex for ${tap}: ${message}` })),
            Effect.as({ tap, sample: sample(tap), close: Effect.void })
          )
  })
)
