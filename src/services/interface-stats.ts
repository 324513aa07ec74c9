/**
 * Counters of a host network interface (the tap of a unikernel), spec §8.3.
 * `watch` resolves the interface by name, like `if_nametoindex`: an unknown tap fails there and
 * is dropped from the registration.
 */
import { Context, Data, type Effect } from "effect"
import type { IfData } from "../domain/stats.js"

export class InterfaceStatsError extends Data.TaggedError("InterfaceStatsError")<{
  readonly tap: string
  readonly message: string
}> {}

export interface InterfaceWatch {
  readonly tap: string
  /** The counters; `bridge` carries the host interface name, the daemon replaces it by the unikernel-side name. */
  readonly sample: Effect.Effect<IfData, InterfaceStatsError>
  /**
   * The figures of `sample`, read at once, with `bridge` in the `bridge` field; throws
   * InterfaceStatsError. Only sources that never wait have it (Linux): the stats tick calls it
   * for every subscribed tap, where the Effect steps of `sample` cost more than the reading.
   */
  readonly sampleNow?: (bridge: string) => IfData
  readonly close: Effect.Effect<void>
}

export interface InterfaceStatsSource {
  readonly watch: (tap: string) => Effect.Effect<InterfaceWatch, InterfaceStatsError>
}

export class InterfaceStats extends Context.Tag("albatross/InterfaceStats")<InterfaceStats, InterfaceStatsSource>() {}

/** Interface names as the kernel accepts them (IFNAMSIZ 16 with the NUL); also keeps paths built from them safe. */
export const isValidInterfaceName = (name: string): boolean =>
  /^[^/\s\0:]{1,15}$/.test(name) && name !== "." && name !== ".."
