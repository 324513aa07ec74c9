/**
 * Linux interface counters from /sys/class/net/<tap>/ (spec §8.3).
 *
 * Why sysfs and not netlink: Node has no AF_NETLINK sockets, so netlink would need a native
 * addon or spawning `ip -s link` every tick. The sysfs statistics files expose the very same
 * rtnl_link_stats64 counters (dev_get_stats) that the reference reads through libnl, and each is
 * read with one pread on a descriptor held open for the registration: no process spawn, no
 * dependency, a dozen cheap syscalls per tap and tick. The flags are made equal to netlink's
 * (see interface-stats-parse.ts).
 */
import { Effect, Layer } from "effect"
import type { IfData } from "../../domain/stats.js"
import {
  InterfaceStats,
  InterfaceStatsError,
  type InterfaceWatch,
  isValidInterfaceName
} from "../../services/interface-stats.js"
import { COUNTER_FILES, type CounterFile, netlinkFlags, operstateOf, sysfsNumber } from "./interface-stats-parse.js"
import { integerAt } from "./process-stats-parse.js"
import { errorText, KernelFile } from "./process-stats-kernel-file.js"

export const makeLinuxInterfaceWatch = (sysRoot: string, tap: string): InterfaceWatch => {
  if (!isValidInterfaceName(tap)) throw new InterfaceStatsError({ tap, message: `invalid interface name ${JSON.stringify(tap)}` })
  const dir = `${sysRoot}/${tap}`
  const opened: Array<KernelFile> = []
  const open = (p: string) => {
    const f = KernelFile.open(`${dir}/${p}`)
    opened.push(f)
    return f
  }
  const close = () => {
    for (const f of opened) f.close()
    opened.length = 0
  }
  let flags: KernelFile, mtu: KernelFile, operstate: KernelFile, carrier: KernelFile
  const counters: Array<KernelFile> = []
  try {
    // resolving the index is the if_nametoindex of the reference: unknown taps are dropped
    open("ifindex").read()
    flags = open("flags")
    mtu = open("mtu")
    operstate = open("operstate")
    carrier = open("carrier")
    for (const c of COUNTER_FILES) counters.push(open(`statistics/${c}`))
  } catch (e) {
    close()
    throw new InterfaceStatsError({ tap, message: `failed to get ifindex for ${tap}: ${errorText(e)}` })
  }
  const readCarrier = (): string | undefined => {
    try {
      const n = carrier.readBytes()
      return n > 0 && KernelFile.buffer[0] === 0x31 ? "1" : "0"
    } catch {
      // EINVAL while the interface is down
      return undefined
    }
  }
  const number = (f: KernelFile): number => {
    const v = sysfsNumber(KernelFile.buffer, f.readBytes())
    if (v === undefined) throw new Error(`${f.path}: not a number`)
    return v
  }
  /** Counters are read straight from the shared buffer: no strings, one BigInt each. */
  const counter = (i: number): bigint => {
    const f = counters[i]!
    const n = f.readBytes()
    const buf = KernelFile.buffer
    const v = integerAt(buf, 0, n > 0 && buf[n - 1] === 0x0a ? n - 1 : n)
    if (v === undefined) throw new Error(`${f.path}: not a number`)
    return v
  }
  const index = (c: CounterFile) => COUNTER_FILES.indexOf(c)
  const RX_PACKETS = index("rx_packets"),
    RX_ERRORS = index("rx_errors"),
    TX_PACKETS = index("tx_packets"),
    TX_ERRORS = index("tx_errors"),
    COLLISIONS = index("collisions"),
    RX_BYTES = index("rx_bytes"),
    TX_BYTES = index("tx_bytes"),
    MULTICAST = index("multicast"),
    RX_DROPPED = index("rx_dropped"),
    TX_DROPPED = index("tx_dropped")
  return {
    tap,
    sample: Effect.suspend(() => {
      if (opened.length === 0) return Effect.fail(new InterfaceStatsError({ tap, message: "watch closed" }))
      try {
        const devFlags = number(flags)
        const op = operstateOf(KernelFile.buffer, operstate.readBytes())
        const data: IfData = {
          bridge: tap,
          flags: netlinkFlags(devFlags, op, (devFlags & 1) !== 0 ? readCarrier() : undefined),
          sendLength: 0,
          maxSendLength: 0,
          sendDrops: 0,
          mtu: number(mtu) | 0,
          baudrate: 0n,
          inputPackets: counter(RX_PACKETS),
          inputErrors: counter(RX_ERRORS),
          outputPackets: counter(TX_PACKETS),
          outputErrors: counter(TX_ERRORS),
          collisions: counter(COLLISIONS),
          inputBytes: counter(RX_BYTES),
          outputBytes: counter(TX_BYTES),
          inputMcast: counter(MULTICAST),
          outputMcast: 0n,
          inputDropped: counter(RX_DROPPED),
          outputDropped: counter(TX_DROPPED)
        }
        return Effect.succeed(data)
      } catch (e) {
        return Effect.fail(new InterfaceStatsError({ tap, message: `failed to get ifdata for ${tap}: ${errorText(e)}` }))
      }
    }),
    close: Effect.sync(close)
  }
}

export const linuxInterfaceStatsLayer = (sysRoot = "/sys/class/net"): Layer.Layer<InterfaceStats> =>
  Layer.succeed(
    InterfaceStats,
    InterfaceStats.of({
      watch: (tap) =>
        Effect.try({
          try: () => makeLinuxInterfaceWatch(sysRoot, tap),
          catch: (e) => (e instanceof InterfaceStatsError ? e : new InterfaceStatsError({ tap, message: errorText(e) }))
        })
    })
  )
