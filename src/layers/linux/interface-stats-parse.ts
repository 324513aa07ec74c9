/**
 * Pure part of the Linux interface source: sysfs attribute texts to IfData, with the flags
 * computed as the kernel's dev_get_flags() does for netlink (IFF_RUNNING, IFF_LOWER_UP and
 * IFF_DORMANT derived from the operational state), so the figures equal what the reference
 * reads through libnl (spec §8.3).
 */
import type { IfData } from "../../domain/stats.js"

export const IFF_UP = 0x1
export const IFF_RUNNING = 0x40
export const IFF_LOWER_UP = 0x10000
export const IFF_DORMANT = 0x20000

/** The rtnl_link_stats64 counters, as files under /sys/class/net/<if>/statistics. */
export const COUNTER_FILES = [
  "rx_packets",
  "rx_errors",
  "tx_packets",
  "tx_errors",
  "collisions",
  "rx_bytes",
  "tx_bytes",
  "multicast",
  "rx_dropped",
  "tx_dropped"
] as const
export type CounterFile = (typeof COUNTER_FILES)[number]

export interface SysfsInterface {
  readonly name: string
  /** `flags` attribute: dev->flags, hexadecimal (`0x1003`). */
  readonly flags: string
  readonly mtu: string
  /** `operstate`: up, down, unknown, dormant, lowerlayerdown, notpresent, testing. */
  readonly operstate: string
  /** `carrier`: "1"/"0"; unreadable (undefined) while the interface is down. */
  readonly carrier: string | undefined
  readonly counters: Readonly<Record<CounterFile, string>>
}

const u64 = (s: string, what: string): bigint => {
  const t = s.trim()
  if (!/^[0-9]+$/.test(t)) throw new Error(`bad ${what}: ${JSON.stringify(s)}`)
  return BigInt(t)
}

/** dev_get_flags(): the flags userspace sees through netlink and SIOCGIFFLAGS. */
export const netlinkFlags = (devFlags: number, operstate: string, carrier: string | undefined): number => {
  let flags = devFlags & ~(IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT)
  if ((devFlags & IFF_UP) !== 0) {
    const op = operstate.trim()
    if (op === "up" || op === "unknown") flags |= IFF_RUNNING
    if (carrier?.trim() === "1") flags |= IFF_LOWER_UP
    if (op === "dormant") flags |= IFF_DORMANT
  }
  // int32 on the wire
  return flags | 0
}

export const linuxIfData = (i: SysfsInterface): IfData => {
  const devFlags = Number.parseInt(i.flags.trim(), 16)
  if (!Number.isFinite(devFlags)) throw new Error(`bad flags: ${JSON.stringify(i.flags)}`)
  const mtu = Number.parseInt(i.mtu.trim(), 10)
  if (!Number.isFinite(mtu)) throw new Error(`bad mtu: ${JSON.stringify(i.mtu)}`)
  const c = i.counters
  return {
    bridge: i.name,
    flags: netlinkFlags(devFlags, i.operstate, i.carrier),
    sendLength: 0,
    maxSendLength: 0,
    sendDrops: 0,
    mtu: mtu | 0,
    baudrate: 0n,
    inputPackets: u64(c.rx_packets, "rx_packets"),
    inputErrors: u64(c.rx_errors, "rx_errors"),
    outputPackets: u64(c.tx_packets, "tx_packets"),
    outputErrors: u64(c.tx_errors, "tx_errors"),
    collisions: u64(c.collisions, "collisions"),
    inputBytes: u64(c.rx_bytes, "rx_bytes"),
    outputBytes: u64(c.tx_bytes, "tx_bytes"),
    inputMcast: u64(c.multicast, "multicast"),
    outputMcast: 0n,
    inputDropped: u64(c.rx_dropped, "rx_dropped"),
    outputDropped: u64(c.tx_dropped, "tx_dropped")
  }
}
