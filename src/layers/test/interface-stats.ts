/** Deterministic in-memory interface source: tests create taps, set their counters and remove them. */
import { Effect, Layer } from "effect"
import type { IfData } from "../../domain/stats.js"
import { InterfaceStats, InterfaceStatsError } from "../../services/interface-stats.js"

export interface TestInterfaces {
  readonly set: (tap: string, data: IfData) => void
  readonly remove: (tap: string) => void
  readonly layer: Layer.Layer<InterfaceStats>
}

/** `inPlace`: watches also read in place (`sampleNow`), as the Linux source's do. */
export const makeTestInterfaces = (options: { readonly inPlace?: boolean } = {}): TestInterfaces => {
  const taps = new Map<string, IfData>()
  const sampleNow = (tap: string) => (bridge: string): IfData => {
    const d = taps.get(tap)
    if (d === undefined) throw new InterfaceStatsError({ tap, message: `failed to get ifdata for ${tap}` })
    return { ...d, bridge }
  }
  const sample = (tap: string) =>
    Effect.suspend(() => {
      const d = taps.get(tap)
      return d === undefined
        ? Effect.fail(new InterfaceStatsError({ tap, message: `failed to get ifdata for ${tap}` }))
        : Effect.succeed(d)
    })
  return {
    set: (tap, d) => void taps.set(tap, d),
    remove: (tap) => void taps.delete(tap),
    layer: Layer.succeed(
      InterfaceStats,
      InterfaceStats.of({
        watch: (tap) =>
          taps.has(tap)
            ? Effect.succeed({ tap, sample: sample(tap), ...(options.inPlace === true ? { sampleNow: sampleNow(tap) } : {}), close: Effect.void })
            : Effect.fail(new InterfaceStatsError({ tap, message: `failed to get ifindex for ${tap}` }))
      })
    )
  }
}

export const ifDataOf = (tap: string, seed: number): IfData => {
  const n = BigInt(seed)
  return {
    bridge: tap,
    flags: 0x11043,
    sendLength: 0,
    maxSendLength: 0,
    sendDrops: 0,
    mtu: 1500,
    baudrate: 0n,
    inputPackets: n,
    inputErrors: 0n,
    outputPackets: n * 2n,
    outputErrors: 0n,
    collisions: 0n,
    inputBytes: n * 100n,
    outputBytes: n * 200n,
    inputMcast: 0n,
    outputMcast: 0n,
    inputDropped: 0n,
    outputDropped: 0n
  }
}
