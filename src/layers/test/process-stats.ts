/** Deterministic in-memory process source: tests set each pid's figures and make processes vanish. */
import { Effect, Layer } from "effect"
import { ProcessStats, ProcessStatsError, type ProcessSample } from "../../services/process-stats.js"

export interface TestProcesses {
  /** Set (or replace) the figures reported for `pid`; the process exists from now on. */
  readonly set: (pid: number, sample: ProcessSample) => void
  /** The process is gone: watches fail from now on. */
  readonly kill: (pid: number) => void
  /** How many watches are open (for leak checks). */
  readonly openWatches: () => number
  readonly layer: Layer.Layer<ProcessStats>
}

export const makeTestProcesses = (): TestProcesses => {
  const processes = new Map<number, ProcessSample>()
  let open = 0
  const sample = (pid: number) =>
    Effect.suspend(() => {
      const s = processes.get(pid)
      return s === undefined
        ? Effect.fail(new ProcessStatsError({ pid, message: `no such process ${pid}` }))
        : Effect.succeed(s)
    })
  return {
    set: (pid, s) => void processes.set(pid, s),
    kill: (pid) => void processes.delete(pid),
    openWatches: () => open,
    layer: Layer.succeed(
      ProcessStats,
      ProcessStats.of({
        watch: (pid) =>
          Effect.sync(() => {
            open++
            let closed = false
            return {
              pid,
              sample: sample(pid),
              close: Effect.sync(() => {
                if (!closed) open--
                closed = true
              })
            }
          })
      })
    )
  }
}

/** A sample whose every counter is derived from `seed`, for tests that only need distinct figures. */
export const sampleOf = (seed: number, withKinfo = true): ProcessSample => {
  const n = BigInt(seed)
  return {
    rusage: {
      utime: { sec: n, usec: seed % 1_000_000 },
      stime: { sec: n + 1n, usec: (seed * 7) % 1_000_000 },
      maxrss: n * 10n,
      ixrss: 0n,
      idrss: 0n,
      isrss: 0n,
      minflt: n * 3n,
      majflt: n,
      nswap: 0n,
      inblock: 0n,
      outblock: 0n,
      msgsnd: 0n,
      msgrcv: 0n,
      nsignals: 0n,
      nvcsw: n * 5n,
      nivcsw: n * 6n
    },
    kinfoMem: withKinfo
      ? { vsize: n * 4096n, rss: n * 10n, tsize: 5n, dsize: n, ssize: n, runtime: n * 1000n, cow: 0, start: { sec: 1_700_000_000n, usec: 0 } }
      : null
  }
}
