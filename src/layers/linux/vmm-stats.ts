/** Linux has no bhyve: VMM counters are always absent (spec §8.3). */
import { Effect, Layer } from "effect"
import { VmmStats, VmmStatsError } from "../../services/vmm-stats.js"

export const linuxVmmStatsLayer: Layer.Layer<VmmStats> = Layer.succeed(
  VmmStats,
  VmmStats.of({
    open: (vmmdev) =>
      Effect.fail(new VmmStatsError({ vmmdev, message: "VMM statistics are only available with bhyve on FreeBSD" }))
  })
)
