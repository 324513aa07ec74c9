/**
 * All deterministic host services at once. Each part stays reachable (`host.network.taps`,
 * `host.tenders.exit(pid, ...)`, `host.state.current()`, ...) so tests drive and inspect them.
 */
import { Layer } from "effect"
import { HostPaths, type HostPathsConfig } from "../../services/host-paths.js"
import type { HostServices } from "../linux/host-services.js"
import { TestBlocks } from "./blocks.js"
import { makeRecordingRunner, type RecordingRunner } from "./command-runner.js"
import { TestFifos } from "./fifo.js"
import { TestHostFacts } from "./host-facts.js"
import { TestImages } from "./image.js"
import { TestNetwork } from "./network.js"
import { TestStateStore } from "./state-store.js"
import { TestTenders } from "./tender.js"

export interface TestHost {
  readonly paths: HostPathsConfig
  readonly runner: RecordingRunner
  readonly network: TestNetwork
  readonly facts: TestHostFacts
  readonly images: TestImages
  readonly tenders: TestTenders
  readonly fifos: TestFifos
  readonly blocks: TestBlocks
  readonly state: TestStateStore
  readonly layer: Layer.Layer<HostServices>
}

export const makeTestHost = (
  options: { readonly paths?: HostPathsConfig; readonly bridges?: ReadonlyArray<string>; readonly state?: Uint8Array } = {}
): TestHost => {
  const paths = options.paths ?? { tmpdir: "/run/albatross", dbdir: "/var/lib/albatross" }
  const bridges = options.bridges ?? ["br0"]
  const runner = makeRecordingRunner()
  const network = new TestNetwork(bridges)
  const facts = new TestHostFacts({ bridges })
  const images = new TestImages()
  const tenders = new TestTenders()
  const fifos = new TestFifos()
  const blocks = new TestBlocks(paths)
  const state = new TestStateStore(options.state)
  return {
    paths,
    runner,
    network,
    facts,
    images,
    tenders,
    fifos,
    blocks,
    state,
    layer: Layer.mergeAll(
      HostPaths.layer(paths),
      runner.layer,
      network.layer,
      facts.layer,
      images.layer,
      tenders.layer,
      fifos.layer,
      blocks.layer,
      state.layer
    )
  }
}
