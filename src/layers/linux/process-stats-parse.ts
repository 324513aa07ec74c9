/**
 * Pure parsers for Linux /proc/<pid>/{stat,statm,status} into rusage and kinfo_mem, field for
 * field as the reference albatross-stats reads them (spec §8.3).
 */
import { Either } from "effect"
import type { KinfoMem, Rusage, Timeval } from "../../domain/stats.js"

export interface ProcFiles {
  /** Contents of /proc/<pid>/stat (only its first line is used). */
  readonly stat: string
  /** Contents of /proc/<pid>/statm. */
  readonly statm: string
  /** Contents of /proc/<pid>/status. */
  readonly status: string
  /** ctime of the /proc/<pid> directory, in nanoseconds since the epoch. */
  readonly startNs: bigint
  /** sysconf(_SC_CLK_TCK). */
  readonly clockTick: number
}

const firstLine = (s: string): string => {
  const nl = s.indexOf("\n")
  return nl === -1 ? s : s.slice(0, nl)
}

const integer = /^-?[0-9]+$/

const int64 = (s: string | undefined, what: string): Either.Either<bigint, string> =>
  s !== undefined && integer.test(s) ? Either.right(BigInt(s)) : Either.left(`couldn't parse integer (${what}: ${JSON.stringify(s ?? "")})`)

/**
 * The fields of /proc/<pid>/stat: pid and the command name (between the first `(` and the
 * last `)`, as it may contain spaces and parentheses) are fields 0 and 1, the rest split on spaces.
 */
export const parseProcStat = (contents: string): Either.Either<ReadonlyArray<string>, string> => {
  const s = firstLine(contents)
  const open = s.indexOf("(")
  const close = s.lastIndexOf(")")
  if (open < 1 || close < open) return Either.left("unable to parse /proc/<pid>/stat")
  const fields = [s.slice(0, open - 1), s.slice(open + 1, close)]
  for (const f of s.slice(close + 2).split(" ")) fields.push(f)
  return Either.right(fields)
}

/** `key: value` lines of /proc/<pid>/status, values trimmed. */
export const parseProcStatus = (contents: string): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (const line of contents.split("\n")) {
    const colon = line.indexOf(":")
    if (colon === -1) continue
    out.set(line.slice(0, colon), line.slice(colon + 1).trim())
  }
  return out
}

/** Just the two context-switch counters, without building the whole map (hot path). */
const statusField = (contents: string, key: string): string | undefined => {
  let at = contents.indexOf(`\n${key}:`)
  if (at === -1) {
    if (!contents.startsWith(`${key}:`)) return undefined
    at = -1
  }
  const start = at + key.length + 2
  const end = contents.indexOf("\n", start)
  return contents.slice(start, end === -1 ? undefined : end).trim()
}

/** Clock ticks to (seconds, microseconds), truncating like the reference's int64 arithmetic. */
export const ticksToTimeval = (ticks: bigint, clockTick: number): Timeval => {
  const hz = BigInt(clockTick)
  return { sec: ticks / hz, usec: Number(((ticks % hz) * 1_000_000n) / hz) }
}

export const nsToTimeval = (ns: bigint): Timeval => ({ sec: ns / 1_000_000_000n, usec: Number((ns % 1_000_000_000n) / 1000n) })

export const linuxProcessSample = (files: ProcFiles): Either.Either<{ rusage: Rusage; kinfoMem: KinfoMem }, string> => {
  const stat = parseProcStat(files.stat)
  if (Either.isLeft(stat)) return Either.left(stat.left)
  const f = stat.right
  const m = firstLine(files.statm).split(" ")
  if (f.length < 52 || m.length < 7) return Either.left("couldn't read /proc/<pid>/stat")
  return Either.gen(function* () {
    const minflt = yield* int64(f[9], "minflt")
    const majflt = yield* int64(f[11], "majflt")
    const utimeTicks = yield* int64(f[13], "utime")
    const stimeTicks = yield* int64(f[14], "stime")
    const vsize = yield* int64(f[22], "vsize")
    const rss = yield* int64(f[23], "rss")
    const nswap = yield* int64(f[35], "nswap")
    const tsize = yield* int64(m[3], "statm text")
    const dsize = yield* int64(m[5], "statm data")
    const nvcsw = yield* int64(statusField(files.status, "voluntary_ctxt_switches"), "voluntary_ctxt_switches")
    const nivcsw = yield* int64(statusField(files.status, "nonvoluntary_ctxt_switches"), "nonvoluntary_ctxt_switches")
    const runtime = ((utimeTicks + stimeTicks) * 1_000_000n) / BigInt(files.clockTick)
    const rusage: Rusage = {
      utime: ticksToTimeval(utimeTicks, files.clockTick),
      stime: ticksToTimeval(stimeTicks, files.clockTick),
      maxrss: rss,
      ixrss: 0n,
      idrss: 0n,
      isrss: 0n,
      minflt,
      majflt,
      nswap,
      inblock: 0n,
      outblock: 0n,
      msgsnd: 0n,
      msgrcv: 0n,
      nsignals: 0n,
      nvcsw,
      nivcsw
    }
    const kinfoMem: KinfoMem = {
      vsize,
      rss,
      tsize,
      dsize,
      // the reference reports data+stack (statm field 5) for both
      ssize: dsize,
      runtime,
      cow: 0,
      start: nsToTimeval(files.startNs)
    }
    return { rusage, kinfoMem }
  })
}
