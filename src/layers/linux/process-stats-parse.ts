/**
 * Pure parsers for Linux /proc/<pid>/{stat,statm,status} into rusage and kinfo_mem, field for
 * field as the reference albatross-stats reads them (spec §8.3).
 *
 * They work on the bytes as read, without building strings or arrays: this runs for every
 * subscribed unikernel on every tick, and allocation there is what costs (GC).
 */
import { Either } from "effect"
import type { KinfoMem, Rusage, Timeval } from "../../domain/stats.js"

const SPACE = 0x20
const NEWLINE = 0x0a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39

/** The integer in `buf[start, end)`, or undefined when it is not one (`-?[0-9]+`). */
export const integerAt = (buf: Uint8Array, start: number, end: number): bigint | undefined => {
  let i = start
  const negative = buf[i] === MINUS
  if (negative) i++
  if (i >= end) return undefined
  // 15 digits always fit a double exactly; longer ones go through a string
  if (end - i > 15) {
    for (let j = i; j < end; j++) if (buf[j]! < ZERO || buf[j]! > NINE) return undefined
    return BigInt(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1"))
  }
  let n = 0
  for (; i < end; i++) {
    const c = buf[i]!
    if (c < ZERO || c > NINE) return undefined
    n = n * 10 + (c - ZERO)
  }
  return BigInt(negative ? -n : n)
}

export interface StatFields {
  readonly minflt: bigint
  readonly majflt: bigint
  readonly utime: bigint
  readonly stime: bigint
  readonly vsize: bigint
  readonly rss: bigint
  readonly nswap: bigint
}

/** Field number → name, with pid and command name counted as fields 0 and 1. */
const STAT_FIELDS: ReadonlyArray<readonly [number, keyof StatFields]> = [
  [9, "minflt"],
  [11, "majflt"],
  [13, "utime"],
  [14, "stime"],
  [22, "vsize"],
  [23, "rss"],
  [35, "nswap"]
]
/** Indexed by field number: a plain array lookup per field on the hot path. */
const STAT_WANTED: Array<keyof StatFields | undefined> = []
for (const [i, name] of STAT_FIELDS) STAT_WANTED[i] = name

/**
 * /proc/<pid>/stat, first line: the command name sits between the first `(` and the last `)`
 * (it may contain spaces and parentheses); the fields after it are split on single spaces.
 * At least 52 fields are required.
 */
export const parseStat = (buf: Uint8Array, length: number): Either.Either<StatFields, string> => {
  let end = buf.indexOf(NEWLINE)
  if (end === -1 || end > length) end = length
  const open = buf.indexOf(0x28)
  const close = buf.lastIndexOf(0x29, end - 1)
  if (open < 1 || open >= end || close < open) return Either.left("unable to parse /proc/<pid>/stat")
  const out: Partial<Record<keyof StatFields, bigint>> = {}
  let field = 2
  let start = close + 2
  for (let i = start; i <= end; i++) {
    if (i === end || buf[i] === SPACE) {
      const name = field < STAT_WANTED.length ? STAT_WANTED[field] : undefined
      if (name !== undefined) {
        const v = integerAt(buf, start, i)
        if (v === undefined) return Either.left(`couldn't parse integer (/proc/<pid>/stat field ${field})`)
        out[name] = v
      }
      field++
      start = i + 1
    }
  }
  if (field < 52) return Either.left("couldn't read /proc/<pid>/stat")
  return Either.right(out as StatFields)
}

/** /proc/<pid>/statm (at least 7 fields): text = field 3, data + stack = field 5. */
export const parseStatm = (buf: Uint8Array, length: number): Either.Either<{ tsize: bigint; dsize: bigint }, string> => {
  let end = buf.indexOf(NEWLINE)
  if (end === -1 || end > length) end = length
  const bounds: Array<number> = [0]
  for (let i = 0; i < end; i++) if (buf[i] === SPACE) bounds.push(i + 1)
  if (bounds.length < 7) return Either.left("couldn't read /proc/<pid>/stat")
  const tsize = integerAt(buf, bounds[3]!, bounds[4]! - 1)
  const dsize = integerAt(buf, bounds[5]!, bounds[6]! - 1)
  if (tsize === undefined || dsize === undefined) return Either.left("couldn't parse integer (/proc/<pid>/statm)")
  return Either.right({ tsize, dsize })
}

const VOLUNTARY = Buffer.from("\nvoluntary_ctxt_switches:", "latin1")
const NONVOLUNTARY = Buffer.from("\nnonvoluntary_ctxt_switches:", "latin1")

const statusValue = (buf: Buffer, length: number, key: Buffer): bigint | undefined => {
  // searched backwards from the end of what was read: the two lines come near the end of the
  // file, and the rest of a reused buffer is stale
  if (length < key.length) return undefined
  const at = buf.lastIndexOf(key, length - key.length)
  if (at === -1) return undefined
  let start = at + key.length
  while (start < length && (buf[start] === SPACE || buf[start] === 0x09)) start++
  let end = start
  while (end < length && buf[end] !== NEWLINE) end++
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === 0x09)) end--
  return integerAt(buf, start, end)
}

/** /proc/<pid>/status: `voluntary_ctxt_switches` and `nonvoluntary_ctxt_switches`, values trimmed. */
export const parseStatus = (buf: Buffer, length: number): Either.Either<{ nvcsw: bigint; nivcsw: bigint }, string> => {
  const nvcsw = statusValue(buf, length, VOLUNTARY)
  const nivcsw = statusValue(buf, length, NONVOLUNTARY)
  if (nvcsw === undefined || nivcsw === undefined) return Either.left("error parsing /proc/<pid>/status")
  return Either.right({ nvcsw, nivcsw })
}

/** Clock ticks to (seconds, microseconds), truncating like the reference's int64 arithmetic. */
export const ticksToTimeval = (ticks: bigint, clockTick: number): Timeval => {
  const hz = BigInt(clockTick)
  return { sec: ticks / hz, usec: Number(((ticks % hz) * 1_000_000n) / hz) }
}

export const nsToTimeval = (ns: bigint): Timeval => ({ sec: ns / 1_000_000_000n, usec: Number((ns % 1_000_000_000n) / 1000n) })

/** The sample from the three files' parsed figures, the directory's ctime and the clock tick. */
export const linuxProcessSample = (
  stat: StatFields,
  statm: { tsize: bigint; dsize: bigint },
  status: { nvcsw: bigint; nivcsw: bigint },
  startNs: bigint,
  clockTick: number
): { rusage: Rusage; kinfoMem: KinfoMem } => ({
  rusage: {
    utime: ticksToTimeval(stat.utime, clockTick),
    stime: ticksToTimeval(stat.stime, clockTick),
    maxrss: stat.rss,
    ixrss: 0n,
    idrss: 0n,
    isrss: 0n,
    minflt: stat.minflt,
    majflt: stat.majflt,
    nswap: stat.nswap,
    inblock: 0n,
    outblock: 0n,
    msgsnd: 0n,
    msgrcv: 0n,
    nsignals: 0n,
    nvcsw: status.nvcsw,
    nivcsw: status.nivcsw
  },
  kinfoMem: {
    vsize: stat.vsize,
    rss: stat.rss,
    tsize: statm.tsize,
    dsize: statm.dsize,
    // the reference reports data+stack (statm field 5) for both
    ssize: statm.dsize,
    runtime: ((stat.utime + stat.stime) * 1_000_000n) / BigInt(clockTick),
    cow: 0,
    start: nsToTimeval(startNs)
  }
})

/** All three files at once (as texts): for tests and tools. */
export const linuxProcessSampleFromTexts = (files: {
  readonly stat: string
  readonly statm: string
  readonly status: string
  readonly startNs: bigint
  readonly clockTick: number
}): Either.Either<{ rusage: Rusage; kinfoMem: KinfoMem }, string> => {
  const b = (s: string) => Buffer.from(s, "latin1")
  const stat = b(files.stat)
  const statm = b(files.statm)
  // the status file starts with "Name:", the keys are found after a newline
  const status = b(`\n${files.status}`)
  return Either.gen(function* () {
    const s = yield* parseStat(stat, stat.length)
    const m = yield* parseStatm(statm, statm.length)
    const st = yield* parseStatus(status, status.length)
    return linuxProcessSample(s, m, st, files.startNs, files.clockTick)
  })
}
