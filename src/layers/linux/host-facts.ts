/**
 * HostFacts on a real host (spec §4.2 steps 3-4). Linux and FreeBSD differ only in the tools
 * required and in how bridges are listed (the Network service of each OS); CPU count, memory
 * and the filesystem size come from Node (`os.cpus()` = online CPUs, `os.totalmem()` =
 * physical pages times page size, `fs.statfs` = f_blocks times f_bsize, as the reference's stubs).
 */
import { statfs } from "node:fs/promises"
import { availableParallelism, cpus, totalmem } from "node:os"
import { Effect, Layer } from "effect"
import { CommandRunner, type CommandRunnerService, runChecked } from "../../services/command-runner.js"
import { HostFacts, HostFactsError, type HostFactsService, type HostOs } from "../../services/host-facts.js"
import { blockDir, HostPaths, type HostPathsConfig } from "../../services/host-paths.js"
import { Network, type NetworkService } from "../../services/network.js"
import { errnoText } from "./errno-text.js"
import { findOnPath } from "./path-lookup.js"

export const REQUIRED_TOOLS: Readonly<Record<"Linux" | "FreeBSD", ReadonlyArray<string>>> = {
  Linux: ["uname", "ip", "taskset"],
  FreeBSD: ["uname", "ifconfig", "cpuset"]
}

const MB = 1n << 20n

export const makeHostFacts = (
  hostOs: "Linux" | "FreeBSD",
  paths: HostPathsConfig,
  runner: CommandRunnerService,
  network: NetworkService
): HostFactsService => ({
  os: runChecked(["uname", "-s"]).pipe(
    Effect.provideService(CommandRunner, runner),
    Effect.mapError((e) => new HostFactsError({ message: e.message })),
    Effect.flatMap((out) => {
      const os = out.trim()
      return os === "Linux" || os === "FreeBSD" || os === "Darwin"
        ? Effect.succeed<HostOs>(os)
        : Effect.fail(new HostFactsError({ message: `unsupported operating system ${os}` }))
    })
  ),
  checkTools: Effect.forEach(
    REQUIRED_TOOLS[hostOs],
    (tool) =>
      Effect.promise(() => findOnPath(tool)).pipe(
        Effect.filterOrFail(
          (found) => found !== undefined,
          () => new HostFactsError({ message: `required tool ${tool} not found on PATH` })
        )
      ),
    { discard: true }
  ),
  // os.cpus() is empty where /proc/cpuinfo is hidden; availableParallelism() is the fallback
  onlineCpus: Effect.sync(() => cpus().length || availableParallelism()).pipe(
    Effect.filterOrFail(
      (n) => n > 0,
      () => new HostFactsError({ message: "cannot determine the number of online CPUs" })
    )
  ),
  memoryMb: Effect.sync(() => Math.floor(totalmem() / 2 ** 20)),
  blockFilesystemMb: Effect.tryPromise({
    try: () => statfs(blockDir(paths), { bigint: true }),
    catch: (e) => new HostFactsError({ message: errnoText(e) })
  }).pipe(Effect.map((s) => Number((s.blocks * s.bsize) / MB))),
  bridges: Effect.mapError(network.listBridges, (e) => new HostFactsError({ message: e.message }))
})

const layerFor = (hostOs: "Linux" | "FreeBSD"): Layer.Layer<HostFacts, never, HostPaths | CommandRunner | Network> =>
  Layer.effect(
    HostFacts,
    Effect.gen(function* () {
      return makeHostFacts(hostOs, yield* HostPaths, yield* CommandRunner, yield* Network)
    })
  )

export const HostFactsLinux = layerFor("Linux")
/** Used by `freebsd/host-facts.ts`. */
export const HostFactsFreeBsdImpl = layerFor("FreeBSD")
