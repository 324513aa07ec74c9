/** Exit handling, restart decisions, the exit-64 retry, backoff and the crash-loop cap (spec §2.4-2.6, §4.6), on TestClock. */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import { config, create, destroy, setup, tick, waitUntil } from "./support.js"

const restartAll = config({ failBehaviour: { _tag: "Restart", exitCodes: null } })

describe("albatrossd supervision", () => {
  it.scoped("a quit unikernel that exits is released and forgotten (state dumped)", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create(config({ bridges: [{ netif: "service", bridge: null, mac: null }] })))
      const p = t.fake.live()[0]!
      yield* t.fake.exit(p, { _tag: "Exit", code: 0 })
      yield* waitUntil("release", () => t.daemon.supervised.size === 0)
      expect(t.fake.taps.size).toBe(0)
      expect(t.fake.files.size).toBe(0)
      expect(t.fake.state()?.unikernels).toEqual([])
      expect(t.daemon.acc.unikernelCount).toBe(0)
    }))

  for (const [exit, restarts] of [
    [{ _tag: "Exit", code: 0 }, true],
    [{ _tag: "Exit", code: 2 }, true],
    [{ _tag: "Exit", code: 1 }, false],
    [{ _tag: "Exit", code: 63 }, false],
    [{ _tag: "Signal", signal: 9 }, false],
    [{ _tag: "Stop", signal: 19 }, false]
  ] as const) {
    it.scoped(`restart on any code: ${JSON.stringify(exit)} ${restarts ? "restarts" : "does not restart"}`, () =>
      Effect.gen(function* () {
        const t = yield* setup()
        yield* t.say("web", create(restartAll))
        const writes = t.fake.stateWrites()
        yield* t.fake.exit(t.fake.live()[0]!, exit)
        if (restarts) {
          yield* waitUntil("backoff sleep", () => t.daemon.supervised.get("web")?.running === undefined && t.fake.taps.size === 0)
          yield* TestClock.adjust(Duration.millis(100))
          yield* waitUntil("restart", () => t.fake.live().length === 1)
          expect(t.fake.processes).toHaveLength(2)
          // automatic restarts are not dumped
          expect(t.fake.stateWrites()).toBe(writes)
          expect(t.console.added).toHaveLength(2)
        } else {
          yield* waitUntil("forgotten", () => t.daemon.supervised.size === 0)
          expect(t.fake.state()?.unikernels).toEqual([])
        }
      }))
  }

  it.scoped("an explicit exit code set restarts only on those codes", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create(config({ failBehaviour: { _tag: "Restart", exitCodes: [3] } })))
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 3 })
      yield* waitUntil("released", () => t.daemon.acc.unikernelCount === 0)
      yield* TestClock.adjust(Duration.millis(100))
      yield* waitUntil("restart", () => t.fake.live().length === 1)
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 4 })
      yield* waitUntil("forgotten", () => t.daemon.supervised.size === 0)
    }))

  it.scoped("exit 64 with an injected --name: started again without it, even for quit, and persisted", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("alice:web", create(config({ addName: true, argv: ["--x=1"] })))
      expect(t.fake.live()[0]!.argv.slice(-2)).toEqual(["--name=web", "--x=1"])
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 64 })
      yield* waitUntil("retry", () => t.fake.processes.length === 2 && t.fake.live().length === 1)
      expect(t.fake.live()[0]!.argv.slice(-2)).toEqual([`${t.dir}/alice:web.img`, "--x=1"])
      expect(t.fake.state()?.unikernels[0]?.config.addName).toBe(false)
      // a second 64 is an ordinary exit now
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 64 })
      yield* waitUntil("forgotten", () => t.daemon.supervised.size === 0)
    }))

  it.scoped("--no-drop-path injects the full name", () =>
    Effect.gen(function* () {
      const t = yield* setup({ options: (o) => ({ ...o, dropPath: false }) })
      yield* t.say("alice:web", create(config({ addName: true })))
      expect(t.fake.live()[0]!.argv.at(-1)).toBe("--name=alice:web")
    }))

  it.scoped("backoff doubles up to the cap; the crash-loop cap stops restarts and logs why", () =>
    Effect.gen(function* () {
      const t = yield* setup({
        options: (o) => ({
          ...o,
          restart: { baseDelay: Duration.millis(100), maxDelay: Duration.millis(300), maxRestarts: 4, window: Duration.minutes(1) }
        })
      })
      yield* t.say("web", create(restartAll))
      const delays = [100, 200, 300, 300]
      for (const [i, delay] of delays.entries()) {
        yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 2 })
        yield* waitUntil("released", () => t.daemon.acc.unikernelCount === 0)
        yield* TestClock.adjust(Duration.millis(delay - 1))
        // not yet
        yield* waitUntil("still waiting", () => t.fake.live().length === 0)
        expect(t.fake.processes).toHaveLength(i + 1)
        yield* TestClock.adjust(Duration.millis(1))
        yield* waitUntil(`restart ${i + 1}`, () => t.fake.live().length === 1)
      }
      // the fifth exit within the window: given up
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 2 })
      yield* waitUntil("given up", () => t.daemon.supervised.size === 0)
      yield* TestClock.adjust(Duration.seconds(10))
      expect(t.fake.processes).toHaveLength(5)
      expect(t.fake.state()?.unikernels).toEqual([])
    }))

  it.scoped("a unikernel that ran longer than the window starts over with the base delay", () =>
    Effect.gen(function* () {
      const t = yield* setup({
        options: (o) => ({ ...o, restart: { baseDelay: Duration.millis(100), maxDelay: Duration.seconds(10), maxRestarts: 2, window: Duration.seconds(10) } })
      })
      yield* t.say("web", create(restartAll))
      for (let i = 0; i < 5; i++) {
        yield* TestClock.adjust(Duration.seconds(11))
        yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 2 })
        yield* waitUntil("released", () => t.daemon.acc.unikernelCount === 0)
        yield* TestClock.adjust(Duration.millis(100))
        yield* waitUntil(`restart ${i}`, () => t.fake.live().length === 1)
      }
      expect(t.fake.processes).toHaveLength(6)
    }))

  it.scoped("destroy during the backoff cancels the restart: 'destroyed: removed from restarting'", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create(restartAll))
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 2 })
      yield* waitUntil("released", () => t.daemon.acc.unikernelCount === 0)
      expect(yield* t.say("web", destroy)).toBe("success:destroyed: removed from restarting")
      yield* TestClock.adjust(Duration.seconds(60))
      expect(t.fake.processes).toHaveLength(1)
      expect(t.fake.state()?.unikernels).toEqual([])
      expect(yield* t.say("web", destroy)).toBe("failure:destroy: not found")
    }))

  it.scoped("restart of a name waiting for its automatic restart cancels it, without a dump", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create(restartAll))
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 2 })
      yield* waitUntil("released", () => t.daemon.acc.unikernelCount === 0)
      const writes = t.fake.stateWrites()
      expect(yield* t.say("web", { _tag: "UnikernelRestart", args: null })).toBe("success:destroyed: removed from restarting")
      expect(t.fake.stateWrites()).toBe(writes)
      yield* TestClock.adjust(Duration.seconds(60))
      expect(t.fake.processes).toHaveLength(1)
    }))

  it.scoped("an automatic restart that fails is logged and forgotten", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create(restartAll))
      yield* t.fake.exit(t.fake.live()[0]!, { _tag: "Exit", code: 2 })
      yield* waitUntil("released", () => t.daemon.acc.unikernelCount === 0)
      t.fake.failures.set("spawn", "cmd solo5-hvt exits: ENOENT")
      yield* TestClock.adjust(Duration.millis(100))
      yield* waitUntil("forgotten", () => t.daemon.supervised.size === 0)
      expect(t.fake.state()?.unikernels).toEqual([])
    }))

  it.scoped("a tender that ignores SIGTERM gets SIGKILL after the stop timeout", () =>
    Effect.gen(function* () {
      const t = yield* setup({ options: (o) => ({ ...o, stopTimeout: Duration.seconds(5) }) })
      t.fake.setOnTerminate("ignore")
      yield* t.say("stubborn", create())
      const pending = yield* Effect.fork(t.say("stubborn", destroy))
      yield* waitUntil("SIGTERM", () => t.fake.processes[0]!.terminated === 1)
      // the stop timeout is a sleep on the test clock: wait until it is registered
      for (let i = 0; i < 1000 && (yield* TestClock.sleeps()).length === 0; i++) yield* tick()
      yield* TestClock.adjust(Duration.millis(4999))
      yield* tick(20)
      expect(t.fake.processes[0]!.killed).toBeUndefined()
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* pending.await.pipe(Effect.flatMap((e) => e))).toBe("success:destroyed unikernel")
      expect(t.fake.processes[0]!.killed).toBe(true)
      t.fake.setOnTerminate({ _tag: "Signal", signal: 15 })
    }))

  it.scoped("destroy waits for the tender to exit (SIGTERM), without blocking other commands", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      t.fake.setOnTerminate("ignore")
      yield* t.say("slow", create())
      const pending = yield* Effect.fork(t.say("slow", destroy))
      yield* waitUntil("SIGTERM", () => t.fake.processes[0]!.terminated === 1)
      // the lock is free meanwhile
      expect(yield* t.say("other", create())).toBe("success:created unikernel")
      yield* t.fake.exit(t.fake.processes[0]!, { _tag: "Signal", signal: 15 })
      expect(yield* pending.await.pipe(Effect.flatMap((e) => e))).toBe("success:destroyed unikernel")
      t.fake.setOnTerminate({ _tag: "Signal", signal: 15 })
      expect(t.fake.state()?.unikernels.map((u) => u.name.toString())).toEqual([":other"])
    }))
})
