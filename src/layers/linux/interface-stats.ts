/**
 * Linux interface counters (spec §8.3): the reference reads them through libnl (a netlink link
 * dump), which Node cannot do (no AF_NETLINK sockets; a native addon, or spawning `ip -s link`
 * every tick, would be the alternatives). Both sources used here expose the kernel's
 * rtnl_link_stats64 (dev_get_stats), the very counters netlink carries:
 *
 * - the counters of every interface come from ONE read of /proc/net/dev per tick, shared by all
 *   taps sampled in that tick (`NetDev`): about 1 µs of kernel time per interface listed,
 *   instead of ten sysfs files per tap (2-3 µs each). Its receive `drop` column is
 *   rx_dropped + rx_missed_errors; the tun driver never counts missed errors, so for tun/tap
 *   devices (recognised by their `tun_flags` attribute) it is rx_dropped exactly, and for any
 *   other interface rx_dropped is read from sysfs (`statistics/rx_dropped`) instead;
 * - flags, operational state, carrier and MTU are not in /proc/net/dev: they are read from
 *   sysfs every tick, each with one pread on a descriptor held open for the registration (so a
 *   deleted interface fails its sample instead of reporting a namesake). Not cached: they
 *   change when the tender attaches to the tap (carrier), and the values sent stay those the
 *   reference would send. The flags are made equal to netlink's (interface-stats-parse.ts).
 *
 * An interface missing from /proc/net/dev (renamed since it was registered) is read from its
 * sysfs statistics files, as the descriptors follow the device.
 */
import * as fs from "node:fs"
import { Effect, Layer } from "effect"
import type { IfData } from "../../domain/stats.js"
import {
  InterfaceStats,
  InterfaceStatsError,
  type InterfaceWatch,
  isValidInterfaceName
} from "../../services/interface-stats.js"
import {
  COUNTER_FILES,
  type CounterFile,
  indexNetDev,
  type NetDevCounters,
  netDevCounters,
  netlinkFlags,
  operstateOf,
  sysfsNumber
} from "./interface-stats-parse.js"
import { integerAt } from "./process-stats-parse.js"
import { closeQuietly, errorText, KernelFile } from "./process-stats-kernel-file.js"

/**
 * /proc/net/dev as last read. One read serves every tap sampled in the same turn of the event
 * loop (a tick samples all its unikernels in one): the snapshot is stale once that turn ends
 * (setImmediate), and a watch that already took its counters from this snapshot reads again.
 */
export class NetDev {
  private fd = -1
  private buf = Buffer.allocUnsafe(16384)
  private length = 0
  private readonly index = new Map<string, number>()
  private fresh = false
  /** Incremented on every read; watches remember the one they used. */
  generation = 0

  constructor(readonly path: string) {}

  private read(): void {
    if (this.fd < 0) this.fd = fs.openSync(this.path, fs.constants.O_RDONLY)
    // a seq_file hands out about a page per read: read on until the end; each read at the
    // position the previous one ended, which the kernel continues without walking the list again
    let length = 0
    for (;;) {
      if (length === this.buf.length) {
        const next = Buffer.allocUnsafe(this.buf.length * 2)
        this.buf.copy(next, 0, 0, length)
        this.buf = next
      }
      const n = fs.readSync(this.fd, this.buf, length, this.buf.length - length, length)
      if (n === 0) break
      length += n
    }
    this.length = length
    indexNetDev(this.buf, length, this.index)
    this.generation++
    this.fresh = true
    setImmediate(() => {
      this.fresh = false
    })
  }

  /** The counters of `name`, from a snapshot no older than this turn of the event loop and not yet used by the caller. */
  counters(name: string, usedGeneration: number): NetDevCounters | undefined {
    if (!this.fresh || usedGeneration === this.generation) this.read()
    const at = this.index.get(name)
    return at === undefined ? undefined : netDevCounters(this.buf, at, this.length)
  }

  close(): void {
    closeQuietly(this.fd)
    this.fd = -1
  }
}

export const makeLinuxInterfaceWatch = (sysRoot: string, tap: string, netDev: NetDev): InterfaceWatch => {
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
  /** rx_dropped from sysfs: for interfaces whose /proc/net/dev drop column may include missed errors. */
  let rxDropped: KernelFile | undefined
  try {
    // resolving the index is the if_nametoindex of the reference: unknown taps are dropped
    open("ifindex").read()
    flags = open("flags")
    mtu = open("mtu")
    operstate = open("operstate")
    carrier = open("carrier")
    if (!fs.existsSync(`${dir}/tun_flags`)) rxDropped = open("statistics/rx_dropped")
  } catch (e) {
    close()
    throw new InterfaceStatsError({ tap, message: `failed to get ifindex for ${tap}: ${errorText(e)}` })
  }
  /** The sysfs statistics files, opened the first time the interface is not in /proc/net/dev. */
  let counterFiles: Array<KernelFile> | undefined
  let usedGeneration = -1

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
  /** A sysfs counter, read straight from the shared buffer: no strings, one BigInt. */
  const counter = (f: KernelFile): bigint => {
    const n = f.readBytes()
    const buf = KernelFile.buffer
    const v = integerAt(buf, 0, n > 0 && buf[n - 1] === 0x0a ? n - 1 : n)
    if (v === undefined) throw new Error(`${f.path}: not a number`)
    return v
  }
  const fromSysfs = (): NetDevCounters => {
    counterFiles ??= COUNTER_FILES.map((c) => open(`statistics/${c}`))
    const files = counterFiles
    const c = (name: CounterFile) => counter(files[COUNTER_FILES.indexOf(name)]!)
    return {
      rx_bytes: c("rx_bytes"),
      rx_packets: c("rx_packets"),
      rx_errors: c("rx_errors"),
      rx_drop: c("rx_dropped"),
      multicast: c("multicast"),
      tx_bytes: c("tx_bytes"),
      tx_packets: c("tx_packets"),
      tx_errors: c("tx_errors"),
      tx_dropped: c("tx_dropped"),
      collisions: c("collisions")
    }
  }
  const sampleNow = (bridge: string): IfData => {
    if (opened.length === 0) throw new InterfaceStatsError({ tap, message: `failed to get ifdata for ${tap}: watch closed` })
    try {
      const devFlags = number(flags)
      const op = operstateOf(KernelFile.buffer, operstate.readBytes())
      const ifFlags = netlinkFlags(devFlags, op, (devFlags & 1) !== 0 ? readCarrier() : undefined)
      const ifMtu = number(mtu) | 0
      const fromNetDev = netDev.counters(tap, usedGeneration)
      usedGeneration = netDev.generation
      const c = fromNetDev ?? fromSysfs()
      return {
        bridge,
        flags: ifFlags,
        sendLength: 0,
        maxSendLength: 0,
        sendDrops: 0,
        mtu: ifMtu,
        baudrate: 0n,
        inputPackets: c.rx_packets,
        inputErrors: c.rx_errors,
        outputPackets: c.tx_packets,
        outputErrors: c.tx_errors,
        collisions: c.collisions,
        inputBytes: c.rx_bytes,
        outputBytes: c.tx_bytes,
        inputMcast: c.multicast,
        outputMcast: 0n,
        inputDropped: fromNetDev !== undefined && rxDropped !== undefined ? counter(rxDropped) : c.rx_drop,
        outputDropped: c.tx_dropped
      }
    } catch (e) {
      throw new InterfaceStatsError({ tap, message: `failed to get ifdata for ${tap}: ${errorText(e)}` })
    }
  }
  return {
    tap,
    sample: Effect.suspend(() => {
      try {
        return Effect.succeed(sampleNow(tap))
      } catch (e) {
        return Effect.fail(e as InterfaceStatsError)
      }
    }),
    sampleNow,
    close: Effect.sync(close)
  }
}

/** `sysRoot` and `procNetDev` are only ever changed by tests. */
export const linuxInterfaceStatsLayer = (sysRoot = "/sys/class/net", procNetDev = "/proc/net/dev"): Layer.Layer<InterfaceStats> =>
  Layer.scoped(
    InterfaceStats,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => new NetDev(procNetDev)),
        (netDev) => Effect.sync(() => netDev.close())
      ),
      (netDev) =>
        InterfaceStats.of({
          watch: (tap) =>
            Effect.try({
              try: () => makeLinuxInterfaceWatch(sysRoot, tap, netDev),
              catch: (e) => (e instanceof InterfaceStatsError ? e : new InterfaceStatsError({ tap, message: errorText(e) }))
            })
        })
    )
  )
