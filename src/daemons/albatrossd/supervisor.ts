/**
 * One supervision fiber per unikernel, kept in a FiberMap keyed by name (issue 3).
 *
 * The fiber waits for its tender to exit (outside the lock), releases everything under the lock
 * (spec §4.6), then applies the exit-64 `--name` retry (spec §2.5) and `shouldRestart` (§2.4).
 * Unlike the reference, which restarts at once and forever, automatic restarts wait on an
 * exponential backoff Schedule and stop after `maxRestarts` within `window` (a crash loop).
 * Interrupting the fiber (destroy, restart, force-create, shutdown) runs its finalizer: SIGTERM,
 * wait for the exit, release.
 */
import { Clock, Duration, Effect, Exit, Fiber, FiberMap, Schedule } from "effect"
import type { ProcessExit } from "../../domain/process-exit.js"
import { releaseUnikernel, spawnUnikernel } from "./create.js"
import { type Daemon, dumpState, locked, nameKey, type Running, type Supervised } from "./daemon.js"
import { decide, describeExit } from "./restart-decision.js"

/**
 * SIGTERM, wait for the exit; SIGKILL after `stopTimeout` (the reference waits forever).
 * The SIGKILL comes from a watchdog fiber rather than a timeout around the wait: the wait is the
 * same either way (a SIGKILL'd tender still reports its exit), and one fork is cheaper than the
 * two of a race, on the path of every destroy.
 */
const stop = (d: Daemon, r: Running): Effect.Effect<ProcessExit> =>
  Effect.gen(function* () {
    yield* r.process.terminate
    // this runs in a finalizer (uninterruptible): the watchdog must be interruptible itself
    const watchdog = yield* Effect.fork(
      Effect.interruptible(
        Effect.zipRight(
          Effect.sleep(d.options.stopTimeout),
          Effect.zipRight(
            Effect.logWarning(`${r.name.display()} still runs ${Duration.format(d.options.stopTimeout)} after SIGTERM: sending SIGKILL`),
            r.process.kill
          )
        )
      )
    )
    const exit = yield* r.process.exit
    yield* Fiber.interrupt(watchdog)
    return exit
  })

/** Wait for `r` to end; on interruption stop it first. Either way its resources are released. */
const watch = (d: Daemon, r: Running): Effect.Effect<ProcessExit> =>
  Effect.acquireUseRelease(
    Effect.succeed(r),
    (r) => r.process.exit,
    (r, outcome) =>
      Exit.isSuccess(outcome)
        ? locked(d, releaseUnikernel(d, r, describeExit(outcome.value)))
        : Effect.flatMap(stop(d, r), (exit) => locked(d, releaseUnikernel(d, r, describeExit(exit))))
  )

const backoff = (d: Daemon) =>
  Schedule.exponential(d.options.restart.baseDelay, 2).pipe(
    Schedule.modifyDelay((delay) => Duration.min(delay, d.options.restart.maxDelay))
  )

/** Forget `sup` (if it is still the current entry) and persist, under the lock. */
const forget = (d: Daemon, sup: Supervised) =>
  locked(
    d,
    Effect.suspend(() => {
      if (d.supervised.get(nameKey(sup.name)) === sup) d.supervised.delete(nameKey(sup.name))
      return dumpState(d)
    })
  )

const supervise = (d: Daemon, sup: Supervised, first: Running): Effect.Effect<void> => {
  let current = first
  // interrupted anywhere between a (re)spawn and its watch: the tender still goes and is released
  const stopCurrent = Effect.suspend(() => {
    const r = current
    if (r.released) return Effect.void
    return Effect.flatMap(stop(d, r), (exit) => locked(d, releaseUnikernel(d, r, describeExit(exit))))
  })
  const loop = Effect.gen(function* () {
    const driver = yield* Schedule.driver(backoff(d))
    const limits = d.options.restart
    const windowMs = Duration.toMillis(limits.window)
    let restarts: Array<number> = []
    for (;;) {
      const exit = yield* watch(d, current)
      sup.running = undefined
      if (d.shuttingDown) return
      const decision = decide(current.config, exit)
      if (decision._tag === "Stop") {
        yield* forget(d, sup)
        return
      }
      if (decision._tag === "RetryWithoutName") {
        yield* Effect.logWarning(`${sup.name.display()} exited 64 with an injected --name: starting it again without`)
        const config = { ...current.config, addName: false }
        // uninterruptible: a tender spawned here must reach the watch below
        const next = yield* locked(
          d,
          Effect.uninterruptible(Effect.gen(function* () {
            sup.config = config
            const r = yield* Effect.either(spawnUnikernel(d, sup.name, config))
            if (r._tag === "Right") {
              sup.running = r.right
              current = r.right
              yield* dumpState(d)
            }
            return r
          }))
        )
        if (next._tag === "Left") {
          yield* Effect.logError(`${sup.name.display()}: restart without --name failed: ${next.left.message}`)
          yield* forget(d, sup)
          return
        }
        continue
      }
      // automatic restart: backoff, and the crash-loop cap
      const now = yield* Clock.currentTimeMillis
      if (restarts.length === 0 || now - current.started.getTime() >= windowMs) yield* driver.reset
      restarts = restarts.filter((t) => now - t < windowMs)
      if (restarts.length >= limits.maxRestarts) {
        yield* Effect.logError(
          `${sup.name.display()} exited (${describeExit(exit)}) ${restarts.length + 1} times within ${Duration.format(limits.window)}: crash loop, not restarting it again`
        )
        yield* forget(d, sup)
        return
      }
      yield* Effect.ignore(driver.next(undefined))
      restarts.push(yield* Clock.currentTimeMillis)
      const next = yield* locked(
        d,
        Effect.uninterruptible(
          Effect.gen(function* () {
            const r = yield* Effect.either(spawnUnikernel(d, sup.name, sup.config))
            if (r._tag === "Right") {
              sup.running = r.right
              current = r.right
            }
            return r
          })
        )
      )
      if (next._tag === "Left") {
        yield* Effect.logError(`${sup.name.display()}: automatic restart failed: ${next.left.message}`)
        yield* forget(d, sup)
        return
      }
      yield* Effect.logInfo(`${sup.name.display()} restarted after ${describeExit(exit)}`)
    }
  })
  return Effect.onInterrupt(loop, () => stopCurrent)
}

/** Register a freshly spawned unikernel and start its supervision fiber (lock held by the caller). */
export const startSupervision = (d: Daemon, running: Running): Effect.Effect<void> =>
  Effect.gen(function* () {
    const sup: Supervised = { name: running.name, config: running.config, running }
    d.supervised.set(nameKey(running.name), sup)
    yield* FiberMap.run(d.fibers, nameKey(running.name), supervise(d, sup, running))
  })

/**
 * Stop supervising `key`: interrupts the fiber, which terminates the tender and waits for its
 * exit. Must be called WITHOUT the lock (the fiber's finalizer takes it).
 */
export const stopSupervision = (d: Daemon, key: string): Effect.Effect<void> => FiberMap.remove(d.fibers, key)
