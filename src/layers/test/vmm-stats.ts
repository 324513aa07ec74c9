/** Deterministic in-memory VMM source: a device opens once it is made available. */
import { Effect, Layer } from "effect"
import type { VmmStat } from "../../domain/stats.js"
import { VmmStats, VmmStatsError } from "../../services/vmm-stats.js"

export interface TestVmms {
  readonly set: (vmmdev: string, stats: ReadonlyArray<VmmStat>) => void
  /** How many open attempts were made per device. */
  readonly attempts: (vmmdev: string) => number
  readonly layer: Layer.Layer<VmmStats>
}

export const makeTestVmms = (): TestVmms => {
  const devices = new Map<string, ReadonlyArray<VmmStat>>()
  const tries = new Map<string, number>()
  return {
    set: (d, s) => void devices.set(d, s),
    attempts: (d) => tries.get(d) ?? 0,
    layer: Layer.succeed(
      VmmStats,
      VmmStats.of({
        open: (vmmdev) =>
          Effect.suspend(() => {
            tries.set(vmmdev, (tries.get(vmmdev) ?? 0) + 1)
            return devices.has(vmmdev)
              ? Effect.succeed({
                  vmmdev,
                  sample: Effect.suspend(() => {
                    const s = devices.get(vmmdev)
                    return s === undefined
                      ? Effect.fail(new VmmStatsError({ vmmdev, message: "device gone" }))
                      : Effect.succeed(s)
                  }),
                  close: Effect.void
                })
              : Effect.fail(new VmmStatsError({ vmmdev, message: `vm_open ${vmmdev}: no such device` }))
          })
      })
    )
  }
}
