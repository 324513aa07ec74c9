/**
 * Pure parsers for the FreeBSD process source (spec §8.3): `procstat -r <pid>` gives the
 * whole rusage with microsecond times, `ps -o vsz= -o rss= -o tsiz= -o dsiz= -o ssiz= -o cow= -o lstart=`
 * the kinfo_proc memory figures (in KiB; converted back to the bytes and pages of kinfo_proc).
 */
import { Either } from "effect"
import type { KinfoMem, Rusage, Timeval } from "../../domain/stats.js"

type RusageCounter = Exclude<keyof Rusage, "utime" | "stime">

/** procstat's resource descriptions (procstat_rusage.c) and the rusage field each one is. */
const COUNTERS: ReadonlyArray<readonly [string, RusageCounter]> = [
  ["maximum RSS", "maxrss"],
  ["integral shared memory", "ixrss"],
  ["integral unshared data", "idrss"],
  ["integral unshared stack", "isrss"],
  ["page reclaims", "minflt"],
  ["page faults", "majflt"],
  ["swaps", "nswap"],
  ["block reads", "inblock"],
  ["block writes", "outblock"],
  ["messages sent", "msgsnd"],
  ["messages received", "msgrcv"],
  ["signals received", "nsignals"],
  ["voluntary context switches", "nvcsw"],
  ["involuntary context switches", "nivcsw"]
]

/** `[N day[s] ]HH:MM:SS.uuuuuu` */
export const parseProcstatTime = (s: string): Either.Either<Timeval, string> => {
  const m = /^(?:(\d+) days? )?(\d+):(\d\d):(\d\d)\.(\d{1,6})$/.exec(s.trim())
  if (m === null) return Either.left(`bad time ${JSON.stringify(s)}`)
  const days = BigInt(m[1] ?? "0")
  const sec = ((days * 24n + BigInt(m[2]!)) * 60n + BigInt(m[3]!)) * 60n + BigInt(m[4]!)
  return Either.right({ sec, usec: Number(m[5]!.padEnd(6, "0")) })
}

/** `procstat -r <pid>` output to rusage. The COMM column may contain spaces: lines are matched by their description. */
export const parseProcstatRusage = (output: string, pid: number): Either.Either<Rusage, string> => {
  const values = new Map<string, string>()
  for (const line of output.split("\n")) {
    const m = /^\s*(\d+)\s/.exec(line)
    if (m === null || Number(m[1]) !== pid) continue
    for (const d of ["user time", "system time", ...COUNTERS.map(([desc]) => desc)]) {
      const at = line.indexOf(` ${d} `)
      if (at === -1) continue
      const value = line.slice(at + d.length + 2).trim().replace(/ [KMG]?B$/, "")
      values.set(d, value)
      break
    }
  }
  return Either.gen(function* () {
    const ut = values.get("user time")
    const st = values.get("system time")
    if (ut === undefined || st === undefined) return yield* Either.left(`procstat -r ${pid}: no time lines`)
    const utime = yield* parseProcstatTime(ut)
    const stime = yield* parseProcstatTime(st)
    const counters = {} as Record<RusageCounter, bigint>
    for (const [desc, field] of COUNTERS) {
      const v = values.get(desc)
      if (v === undefined || !/^\d+$/.test(v)) return yield* Either.left(`procstat -r ${pid}: missing ${desc}`)
      counters[field] = BigInt(v)
    }
    return { utime, stime, ...counters }
  })
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** `lstart` in the C locale and UTC (`%c`): `Mon Nov  3 00:05:11 2026`. */
export const parseLstart = (s: string): Either.Either<bigint, string> => {
  const m = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(s.trim())
  const month = m === null ? -1 : MONTHS.indexOf(m[1]!)
  if (m === null || month === -1) return Either.left(`bad start time ${JSON.stringify(s)}`)
  const ms = Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))
  return Either.right(BigInt(ms / 1000))
}

/**
 * `ps -p <pid> -o vsz= -o rss= -o tsiz= -o dsiz= -o ssiz= -o cow= -o lstart=` output.
 * `runtime` is not printed by ps with microseconds; it is user + system time of the rusage,
 * which FreeBSD derives from the same run-time counter (calcru).
 */
export const parsePsKinfo = (output: string, rusage: Rusage, pageSize: number): Either.Either<KinfoMem, string> => {
  const line = output.split("\n").find((l) => l.trim() !== "")
  if (line === undefined) return Either.left("ps: no output")
  const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+?)\s*$/.exec(line)
  if (m === null) return Either.left(`ps: unexpected output ${JSON.stringify(line)}`)
  return Either.map(parseLstart(m[7]!), (startSec) => {
    const kib = (i: number) => BigInt(m[i]!)
    const pages = (i: number) => (kib(i) * 1024n) / BigInt(pageSize)
    const usec = (t: Timeval) => t.sec * 1_000_000n + BigInt(t.usec)
    return {
      vsize: kib(1) * 1024n,
      rss: pages(2),
      tsize: pages(3),
      dsize: pages(4),
      ssize: pages(5),
      runtime: usec(rusage.utime) + usec(rusage.stime),
      cow: Number(m[6]),
      start: { sec: startSec, usec: 0 }
    }
  })
}
