/**
 * bhyve VMM debug counters of a virtual machine (`vm_get_stats`), spec §8.3.
 * Only FreeBSD has them; on Linux `open` always fails.
 */
import { Context, Data, type Effect } from "effect"
import type { VmmStat } from "../domain/stats.js"

export class VmmStatsError extends Data.TaggedError("VmmStatsError")<{
  readonly vmmdev: string
  readonly message: string
}> {}

export interface VmmHandle {
  readonly vmmdev: string
  readonly sample: Effect.Effect<ReadonlyArray<VmmStat>, VmmStatsError>
  readonly close: Effect.Effect<void>
}

export interface VmmStatsSource {
  readonly open: (vmmdev: string) => Effect.Effect<VmmHandle, VmmStatsError>
}

export class VmmStats extends Context.Tag("albatross/VmmStats")<VmmStats, VmmStatsSource>() {}
