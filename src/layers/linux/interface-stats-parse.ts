/**
 * Pure part of the Linux interface source: sysfs attribute values, and the flags
 * computed as the kernel's dev_get_flags() does for netlink (IFF_RUNNING, IFF_LOWER_UP and
 * IFF_DORMANT derived from the operational state), so the figures equal what the reference
 * reads through libnl (spec §8.3).
 */
import { integerAt } from "./process-stats-parse.js"

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

/**
 * /proc/net/dev (dev_seq_printf_stats): two header lines, then one line per interface,
 * `<name>: ` (the name right-aligned in 6 columns) and 16 counters separated by spaces:
 * receive bytes, packets, errs, drop (rx_dropped + rx_missed_errors), fifo, frame, compressed,
 * multicast; transmit bytes, packets, errs, drop, fifo, colls, carrier, compressed.
 * Interface names contain no `:` and no white space (dev_valid_name).
 */
export const NET_DEV_COLUMNS = 16

/** Fills `into` with name → offset just after the `:` of that interface's line. */
export const indexNetDev = (buf: Uint8Array, length: number, into: Map<string, number>): void => {
  into.clear()
  let line = 0
  while (line < length) {
    let eol = line
    while (eol < length && buf[eol] !== 0x0a) eol++
    let colon = line
    while (colon < eol && buf[colon] !== 0x3a) colon++
    // the header lines have `|` before any `:` (and no `:` at all)
    if (colon < eol) {
      let start = line
      while (start < colon && buf[start] === 0x20) start++
      if (start < colon) into.set(Buffer.from(buf.buffer, buf.byteOffset + start, colon - start).toString("latin1"), colon + 1)
    }
    line = eol + 1
  }
}

/** The counters of /proc/net/dev the ifdata carries (spec §8.3), as rtnl_link_stats64 names them. */
export interface NetDevCounters {
  readonly rx_bytes: bigint
  readonly rx_packets: bigint
  readonly rx_errors: bigint
  /** rx_dropped + rx_missed_errors. */
  readonly rx_drop: bigint
  readonly multicast: bigint
  readonly tx_bytes: bigint
  readonly tx_packets: bigint
  readonly tx_errors: bigint
  readonly tx_dropped: bigint
  readonly collisions: bigint
}

/**
 * The counters of the line whose first counter starts at or after `offset` (see indexNetDev);
 * undefined when the line does not hold 16 decimal numbers.
 */
export const netDevCounters = (buf: Uint8Array, offset: number, length: number): NetDevCounters | undefined => {
  // the columns the ifdata carries become BigInts, the six others are only checked (a tick
  // parses one line per tap: allocation is what it costs)
  const v: Array<bigint> = new Array<bigint>(NET_DEV_COLUMNS)
  let i = offset
  for (let col = 0; col < NET_DEV_COLUMNS; col++) {
    while (i < length && buf[i] === 0x20) i++
    const start = i
    while (i < length && buf[i] !== 0x20 && buf[i] !== 0x0a) i++
    if (start === i) return undefined
    if (UNUSED_COLUMN[col] === true) {
      for (let j = start; j < i; j++) if (buf[j]! < 0x30 || buf[j]! > 0x39) return undefined
      continue
    }
    const n = integerAt(buf, start, i)
    if (n === undefined || n < 0n) return undefined
    v[col] = n
  }
  return {
    rx_bytes: v[0]!,
    rx_packets: v[1]!,
    rx_errors: v[2]!,
    rx_drop: v[3]!,
    multicast: v[7]!,
    tx_bytes: v[8]!,
    tx_packets: v[9]!,
    tx_errors: v[10]!,
    tx_dropped: v[11]!,
    collisions: v[13]!
  }
}

/** fifo, frame, compressed (receive); fifo, carrier, compressed (transmit): not in the ifdata. */
const UNUSED_COLUMN: ReadonlyArray<boolean> = [false, false, false, false, true, true, true, false, false, false, false, false, true, false, true, true]
