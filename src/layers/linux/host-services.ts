/** Every host service albatrossd needs, on Linux, for one tmpdir/dbdir. */
import { Layer } from "effect"
import type { Blocks } from "../../services/blocks.js"
import type { CommandRunner, CommandRunnerService } from "../../services/command-runner.js"
import { CommandRunner as CommandRunnerTag } from "../../services/command-runner.js"
import type { Fifo } from "../../services/fifo.js"
import type { HostFacts } from "../../services/host-facts.js"
import { HostPaths, type HostPathsConfig } from "../../services/host-paths.js"
import type { Image } from "../../services/image.js"
import type { Network } from "../../services/network.js"
import type { StateStore } from "../../services/state-store.js"
import type { Tender } from "../../services/tender.js"
import { BlocksLive } from "./blocks.js"
import { nodeCommandRunner } from "./command-runner.js"
import { FifoLive } from "./fifo.js"
import { HostFactsLinux } from "./host-facts.js"
import { ImageLive } from "./image.js"
import { NetworkLinux } from "./network.js"
import { StateStoreLive } from "./state-store.js"
import { TenderLinux } from "./tender.js"

export type HostServices =
  | HostPaths
  | CommandRunner
  | Network
  | HostFacts
  | Image
  | Tender
  | Fifo
  | Blocks
  | StateStore

/** `runner` defaults to node:child_process; tests pass a prefixed one (`ip netns exec <ns>`). */
export const HostServicesLinux = (
  paths: HostPathsConfig,
  runner: CommandRunnerService = nodeCommandRunner
): Layer.Layer<HostServices> => {
  const base = Layer.mergeAll(HostPaths.layer(paths), Layer.succeed(CommandRunnerTag, runner))
  const network = NetworkLinux.pipe(Layer.provideMerge(base))
  return Layer.mergeAll(HostFactsLinux, TenderLinux, FifoLive, BlocksLive, StateStoreLive, ImageLive).pipe(
    Layer.provideMerge(network)
  )
}
