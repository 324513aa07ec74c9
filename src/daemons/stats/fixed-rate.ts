/**
 * `effect` every `interval` at a fixed rate, the first run one interval from now: what
 * `Effect.zipRight(Effect.sleep(i), Effect.repeat(effect, Schedule.fixed(i)))` does, written as a
 * plain loop around `Effect.sleep`.
 *
 * Why: the sampling tick is this daemon's periodic work, and the repeat with `Schedule.fixed`
 * cost about 0.6 ms more CPU per run than a sleep loop (0.94 vs 0.31 ms per run of an empty
 * effect on this machine; BENCHMARKS.md ## stats), which is 3 us per unikernel and tick with 200.
 *
 * As with `Schedule.fixed`, a run that ends after the next one was due is followed at once by
 * one more run, never by several to catch up.
 */
import { Clock, Duration, Effect } from "effect"

export const atFixedRate = <E, R>(interval: Duration.DurationInput, effect: Effect.Effect<unknown, E, R>): Effect.Effect<never, E, R> =>
  Effect.gen(function* () {
    const ms = Duration.toMillis(Duration.decode(interval))
    let next = (yield* Clock.currentTimeMillis) + ms
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      if (now < next) yield* Effect.sleep(Duration.millis(next - now))
      yield* effect
      next = Math.max(next + ms, yield* Clock.currentTimeMillis)
    }
  })
