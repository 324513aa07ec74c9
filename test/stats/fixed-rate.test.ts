/** The sampling tick's timer (src/daemons/stats/fixed-rate.ts), on TestClock. */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, TestClock } from "effect"
import { atFixedRate } from "../../src/daemons/stats/fixed-rate.js"

describe("atFixedRate", () => {
  it.effect("runs one interval after the start, then every interval", () =>
    Effect.gen(function* () {
      const runs: Array<number> = []
      const fiber = yield* Effect.fork(atFixedRate("1 second", Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => runs.push(t)))))
      yield* TestClock.adjust(Duration.millis(999))
      expect(runs).toEqual([])
      yield* TestClock.adjust(Duration.millis(1))
      expect(runs).toEqual([1000])
      yield* TestClock.adjust(Duration.seconds(3))
      expect(runs).toEqual([1000, 2000, 3000, 4000])
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("keeps the rate when a run takes part of the interval; a late run is followed at once by one more, not several", () =>
    Effect.gen(function* () {
      const runs: Array<number> = []
      const slow = new Map([[2000, 300], [3000, 2500]])
      const run = Effect.gen(function* () {
        const t = yield* Clock.currentTimeMillis
        runs.push(t)
        const takes = slow.get(t)
        if (takes !== undefined) yield* Effect.sleep(Duration.millis(takes))
      })
      const fiber = yield* Effect.fork(atFixedRate("1 second", run))
      for (let i = 0; i < 80; i++) yield* TestClock.adjust(Duration.millis(100))
      // 2000 takes 300 ms: 3000 is still on time; 3000 takes until 5500: 5500 at once, then 6500, 7500
      expect(runs).toEqual([1000, 2000, 3000, 5500, 6500, 7500])
      yield* Fiber.interrupt(fiber)
    })
  )
})
