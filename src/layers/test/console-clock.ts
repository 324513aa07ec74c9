/**
 * A wall clock set by hand, for the console's timestamps in tests. Only the time of day is
 * manual; sleeping (timeouts) still follows real time, so sockets and timeouts behave normally.
 */
import { Clock, Effect, Layer } from "effect"

export interface ManualClock {
  readonly set: (ms: number) => void
  readonly now: () => number
  /** Layer that makes this the clock of whatever it is provided to (and the fibers it forks). */
  readonly layer: Layer.Layer<never>
}

export const makeManualClock = (startMs: number): ManualClock => {
  let now = startMs
  const live = Clock.make()
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    currentTimeMillis: Effect.sync(() => now),
    unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: (d) => live.sleep(d)
  }
  return { set: (ms) => void (now = ms), now: () => now, layer: Layer.setClock(clock) }
}
