/** Network on Linux: `ip` command lines of spec §5.1-5.2 and §4.2 step 4, through the CommandRunner. */
import { Effect, Layer } from "effect"
import { CommandRunner, type CommandRunnerService, runChecked } from "../../services/command-runner.js"
import { bridgeMissing, Network, NetworkError, type NetworkService } from "../../services/network.js"

/**
 * Tap numbers in use according to `ip tuntap show`: like the reference, the text after the
 * first 6 characters of each line longer than 6, cut at the first `:`, when it is an integer
 * (the `vmmtap` prefix itself is not checked).
 */
export const usedTapNumbers = (output: string): ReadonlySet<number> => {
  const used = new Set<number>()
  for (const line of output.split("\n")) {
    if (line.length <= 6) continue
    const n = line.slice(6).split(":")[0]!
    if (/^[0-9]+$/.test(n)) used.add(Number(n))
  }
  return used
}

export const smallestFreeTap = (used: ReadonlySet<number>): string => {
  let n = 0
  while (used.has(n)) n++
  return `vmmtap${n}`
}

/** Bridge names in `ip -o link show type bridge` output: the second `:`-separated field, trimmed. */
export const parseLinuxBridges = (output: string): ReadonlyArray<string> =>
  sortedSet(
    output
      .split("\n")
      .map((line) => line.split(":"))
      .filter((fields) => fields.length >= 2 && fields[1]!.trim() !== "")
      .map((fields) => fields[1]!.trim())
  )

export const sortedSet = (xs: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(xs)].sort()

const toNetworkError = <A, R>(e: Effect.Effect<A, { readonly message: string }, R>) =>
  Effect.mapError(e, (err) => new NetworkError({ message: err.message }))

export const makeLinuxNetwork = (runner: CommandRunnerService): NetworkService => {
  const run = (argv: ReadonlyArray<string>) =>
    toNetworkError(runChecked(argv).pipe(Effect.provideService(CommandRunner, runner)))
  const destroyTap = (tap: string) => Effect.asVoid(run(["ip", "tuntap", "del", "dev", tap, "mode", "tap"]))
  // picking the smallest free number and adding it must not interleave with another create:
  // `ip tuntap add` of an existing persistent tap succeeds, so two creates could share a tap
  const picking = Effect.unsafeMakeSemaphore(1)
  return {
    createTap: (bridge) =>
      picking.withPermits(1)(Effect.gen(function* () {
        const tap = smallestFreeTap(usedTapNumbers(yield* run(["ip", "tuntap", "show"])))
        yield* run(["ip", "tuntap", "add", tap, "mode", "tap"])
        // unlike the reference, a tap that cannot be brought up or attached is not left behind
        yield* Effect.tapError(
          Effect.zipRight(
            run(["ip", "link", "set", "dev", tap, "up"]),
            run(["ip", "link", "set", "dev", tap, "master", bridge])
          ),
          () => Effect.ignore(destroyTap(tap))
        )
        return tap
      })),
    destroyTap,
    checkBridge: (bridge) =>
      Effect.mapError(Effect.asVoid(run(["ip", "link", "show", bridge])), () => bridgeMissing(bridge)),
    listBridges: Effect.map(run(["ip", "-o", "link", "show", "type", "bridge"]), parseLinuxBridges)
  }
}

export const NetworkLinux: Layer.Layer<Network, never, CommandRunner> = Layer.effect(
  Network,
  Effect.map(CommandRunner, makeLinuxNetwork)
)
