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
import {
  InterfaceStats,
  InterfaceStatsError,
  type InterfaceWatch,
  isValidInterfaceName
} from "../../services/interface-stats.js"
import { COUNTER_FILES, type CounterFile, linuxIfData } from "./interface-stats-parse.js"
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
  const counters = new Map<CounterFile, KernelFile>()
  try {
    // resolving the index is the if_nametoindex of the reference: unknown taps are dropped
    open("ifindex").read()
    flags = open("flags")
    mtu = open("mtu")
    operstate = open("operstate")
    carrier = open("carrier")
    for (const c of COUNTER_FILES) counters.set(c, open(`statistics/${c}`))
  } catch (e) {
    close()
    throw new InterfaceStatsError({ tap, message: `failed to get ifindex for ${tap}: ${errorText(e)}` })
  }
  const readCarrier = (): string | undefined => {
    try {
      return carrier.read()
    } catch {
      // EINVAL while the interface is down
      return undefined
    }
  }
  return {
    tap,
    sample: Effect.suspend(() => {
      if (opened.length === 0) return Effect.fail(new InterfaceStatsError({ tap, message: "watch closed" }))
      try {
        const values = {} as Record<CounterFile, string>
        for (const [name, f] of counters) values[name] = f.read()
        return Effect.succeed(
          linuxIfData({
            name: tap,
            flags: flags.read(),
            mtu: mtu.read(),
            operstate: operstate.read(),
            carrier: readCarrier(),
            counters: values
          })
        )
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
