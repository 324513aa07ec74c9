/** Every host service albatrossd needs, on FreeBSD, for one tmpdir/dbdir. */
import { Layer } from "effect"
import { CommandRunner, type CommandRunnerService } from "../../services/command-runner.js"
import { HostPaths, type HostPathsConfig } from "../../services/host-paths.js"
import { BlocksLive } from "../linux/blocks.js"
import { nodeCommandRunner } from "../linux/command-runner.js"
import { FifoLive } from "./fifo.js"
import type { HostServices } from "../linux/host-services.js"
import { ImageLive } from "../linux/image.js"
import { StateStoreLive } from "../linux/state-store.js"
import { HostFactsFreeBsd } from "./host-facts.js"
import { NetworkFreeBsd } from "./network.js"
import { TenderFreeBsd } from "./tender.js"

/** `runner` defaults to node:child_process; tests pass the recording runner. */
export const HostServicesFreeBsd = (
  paths: HostPathsConfig,
  runner: CommandRunnerService = nodeCommandRunner
): Layer.Layer<HostServices> => {
  const base = Layer.mergeAll(HostPaths.layer(paths), Layer.succeed(CommandRunner, runner))
  const network = NetworkFreeBsd.pipe(Layer.provideMerge(base))
  return Layer.mergeAll(HostFactsFreeBsd, TenderFreeBsd, FifoLive, BlocksLive, StateStoreLive, ImageLive).pipe(
    Layer.provideMerge(network)
  )
}
