/**
 * Pure part of the Linux interface source: sysfs attribute values, and the flags
 * computed as the kernel's dev_get_flags() does for netlink (IFF_RUNNING, IFF_LOWER_UP and
 * IFF_DORMANT derived from the operational state), so the figures equal what the reference
 * reads through libnl (spec §8.3).
 */
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

/** A sysfs number (decimal, or hexadecimal with 0x) at the start of `buf[0, length)`, without building a string. */
export const sysfsNumber = (buf: Uint8Array, length: number): number | undefined => {
  let i = 0
  let base = 10
  if (length > 2 && buf[0] === 0x30 && (buf[1] === 0x78 || buf[1] === 0x58)) {
    base = 16
    i = 2
  }
  let n = 0
  const start = i
  for (; i < length; i++) {
    const c = buf[i]!
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : base === 16 && c >= 0x61 && c <= 0x66 ? c - 0x57 : base === 16 && c >= 0x41 && c <= 0x46 ? c - 0x37 : -1
    if (d === -1) break
    n = n * base + d
  }
  return i === start || i - start > 15 ? undefined : n
}

/** The operational state word of `operstate` as one of the values the flags depend on. */
export const operstateOf = (buf: Uint8Array, length: number): string => {
  // "up", "unknown", "dormant" are all the flags care about
  if (length >= 2 && buf[0] === 0x75 && buf[1] === 0x70 && (length === 2 || buf[2] === 0x0a)) return "up"
  if (length >= 7 && Buffer.from(buf.buffer, buf.byteOffset, 7).toString("latin1") === "unknown") return "unknown"
  if (length >= 7 && Buffer.from(buf.buffer, buf.byteOffset, 7).toString("latin1") === "dormant") return "dormant"
  return "other"
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
