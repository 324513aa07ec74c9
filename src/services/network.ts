/**
 * Tap devices and bridges (spec §5.1-5.2, §4.2 step 4). The Linux layer drives `ip`, the
 * FreeBSD layer `ifconfig`, both through the CommandRunner with the reference's exact argv.
 */
import { Context, Data, type Effect } from "effect"

export class NetworkError extends Data.TaggedError("NetworkError")<{ readonly message: string }> {}

export interface NetworkService {
  /** Creates a tap, brings it up and adds it to `bridge`; returns the tap name (`vmmtap3`, `tap3`). */
  readonly createTap: (bridge: string) => Effect.Effect<string, NetworkError>
  /** Linux `ip tuntap del dev <tap> mode tap`, FreeBSD `ifconfig <tap> destroy`. */
  readonly destroyTap: (tap: string) => Effect.Effect<void, NetworkError>
  /** Fails with `interface <bridge> does not exist`. */
  readonly checkBridge: (bridge: string) => Effect.Effect<void, NetworkError>
  /** Every bridge on the host (root policy), sorted ascending without duplicates. */
  readonly listBridges: Effect.Effect<ReadonlyArray<string>, NetworkError>
}

export class Network extends Context.Tag("albatross/Network")<Network, NetworkService>() {}

export const bridgeMissing = (bridge: string): NetworkError =>
  new NetworkError({ message: `interface ${bridge} does not exist` })
