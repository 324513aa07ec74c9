/**
 * Resource usage of a host process (the process running a unikernel), spec §8.3.
 *
 * A source hands out a `ProcessWatch` per registered pid: watching rather than one-shot
 * reads lets the Linux source keep its /proc descriptors open between ticks (one pread per
 * file per tick) and pins the process: once it is gone every read fails, even if the pid is
 * reused by another process.
 */
import { Context, Data, type Effect } from "effect"
import type { KinfoMem, Rusage } from "../domain/stats.js"

export class ProcessStatsError extends Data.TaggedError("ProcessStatsError")<{
  readonly pid: number
  readonly message: string
}> {}

export interface ProcessSample {
  readonly rusage: Rusage
  readonly kinfoMem: KinfoMem | null
}

export interface ProcessWatch {
  readonly pid: number
  /** Fails when the process is gone (or its figures cannot be read). */
  readonly sample: Effect.Effect<ProcessSample, ProcessStatsError>
  readonly close: Effect.Effect<void>
}

export interface ProcessStatsSource {
  readonly watch: (pid: number) => Effect.Effect<ProcessWatch, ProcessStatsError>
}

export class ProcessStats extends Context.Tag("albatross/ProcessStats")<ProcessStats, ProcessStatsSource>() {}
