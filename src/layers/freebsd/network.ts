/** Network on FreeBSD: `ifconfig` command lines of spec §5.1-5.2 and §4.2 step 4, through the CommandRunner. */
import { Effect, Layer } from "effect"
import { CommandRunner, type CommandRunnerService, runChecked } from "../../services/command-runner.js"
import { bridgeMissing, Network, NetworkError, type NetworkService } from "../../services/network.js"
import { sortedSet } from "../linux/network.js"

/** `ifconfig -g bridge`: one bridge name per line. */
export const parseFreeBsdBridges = (output: string): ReadonlyArray<string> =>
  sortedSet(
    output
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
  )

export const makeFreeBsdNetwork = (runner: CommandRunnerService): NetworkService => {
  const run = (argv: ReadonlyArray<string>) =>
    Effect.mapError(
      runChecked(argv).pipe(Effect.provideService(CommandRunner, runner)),
      (err) => new NetworkError({ message: err.message })
    )
  const destroyTap = (tap: string) => Effect.asVoid(run(["ifconfig", tap, "destroy"]))
  return {
    createTap: (bridge) =>
      Effect.gen(function* () {
        const tap = (yield* run(["ifconfig", "tap", "create"])).trim()
        if (tap === "") return yield* new NetworkError({ message: "ifconfig tap create printed no interface name" })
        // unlike the reference, a tap that cannot join the bridge is not left behind
        yield* Effect.tapError(run(["ifconfig", bridge, "addm", tap]), () => Effect.ignore(destroyTap(tap)))
        return tap
      }),
    destroyTap,
    checkBridge: (bridge) => Effect.mapError(Effect.asVoid(run(["ifconfig", bridge])), () => bridgeMissing(bridge)),
    listBridges: Effect.map(run(["ifconfig", "-g", "bridge"]), parseFreeBsdBridges)
  }
}

export const NetworkFreeBsd: Layer.Layer<Network, never, CommandRunner> = Layer.effect(
  Network,
  Effect.map(CommandRunner, makeFreeBsdNetwork)
)
