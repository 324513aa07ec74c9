/**
 * In-memory Network: bridges the test declares, taps numbered like the Linux layer
 * (smallest free `vmmtap<n>`), and switches to make the next operations fail.
 */
import { Effect, Layer } from "effect"
import { bridgeMissing, Network, NetworkError, type NetworkService } from "../../services/network.js"

export class TestNetwork {
  readonly bridges: Set<string>
  /** tap -> bridge */
  readonly taps = new Map<string, string>()
  /** When set, createTap fails with this message. */
  failCreate: string | undefined = undefined
  /** When set, destroyTap fails with this message. */
  failDestroy: string | undefined = undefined

  constructor(bridges: ReadonlyArray<string> = []) {
    this.bridges = new Set(bridges)
  }

  readonly service: NetworkService = {
    createTap: (bridge) =>
      Effect.suspend(() => {
        if (this.failCreate !== undefined) return Effect.fail(new NetworkError({ message: this.failCreate }))
        if (!this.bridges.has(bridge)) {
          return Effect.fail(new NetworkError({ message: `cmd ip link set dev vmmtap master ${bridge} exited with 1` }))
        }
        let n = 0
        while (this.taps.has(`vmmtap${n}`)) n++
        this.taps.set(`vmmtap${n}`, bridge)
        return Effect.succeed(`vmmtap${n}`)
      }),
    destroyTap: (tap) =>
      Effect.suspend(() => {
        if (this.failDestroy !== undefined) return Effect.fail(new NetworkError({ message: this.failDestroy }))
        if (!this.taps.delete(tap)) {
          return Effect.fail(new NetworkError({ message: `cmd ip tuntap del dev ${tap} mode tap exited with 1` }))
        }
        return Effect.void
      }),
    checkBridge: (bridge) =>
      Effect.suspend(() => (this.bridges.has(bridge) ? Effect.void : Effect.fail(bridgeMissing(bridge)))),
    listBridges: Effect.sync(() => [...this.bridges].sort())
  }

  readonly layer: Layer.Layer<Network> = Layer.succeed(Network, this.service)
}
