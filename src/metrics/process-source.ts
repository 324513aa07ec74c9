/**
 * The daemon's own resource usage, as metrics-rusage reports it (`resource_usage` and
 * `kinfo_mem`, same measurement and field names, same types):
 *
 *   resource_usage utime stime (seconds, floats), maxrss ixrss idrss isrss minflt maxflt(= majflt)
 *                  nswap inblock outblock msgsnd msgrcv nsignals nvcsw nivcsw   (getrusage(RUSAGE_SELF))
 *   kinfo_mem      vsize (bytes) rss (pages) tsize dsize ssize (pages) cow_faults runtime (µs)
 *                  uptime (seconds since the process started, float)
 *
 * getrusage is Node's `process.resourceUsage()`. kinfo_mem on Linux comes from /proc/self/stat
 * (utime, stime, vsize, rss), /proc/self/statm (text; data+stack for both dsize and ssize) and
 * the change time of /proc/self (the start), with the clock tick at Linux' fixed 100 Hz;
 * `cow_faults` is 0. Unlike metrics-rusage 0.5, which counts the /proc/self/stat fields one
 * off (reporting cmajflt+utime as runtime, the start time as vsize and vsize as rss), the
 * fields are the ones their names say (docs/COMPATIBILITY.md). Elsewhere (FreeBSD: the reference
 * asks sysctl kern.proc) kinfo_mem has no fields and is left out of the batch.
 */
import * as fs from "node:fs"
import { Either } from "effect"
import { parseStat, parseStatm } from "../layers/linux/process-stats-parse.js"
import { field, type Field } from "./line-protocol.js"
import { type MetricsRegistry, ORDER } from "./registry.js"

const CLOCK_TICKS = 100n

/** Seconds and microseconds as the float metrics-rusage makes of a timeval. */
const seconds = (micros: number): number => Math.floor(micros / 1_000_000) + (micros % 1_000_000) / 1_000_000

export const rusageFields = (ru: NodeJS.ResourceUsage): ReadonlyArray<Field> => [
  field.float("utime", seconds(ru.userCPUTime)),
  field.float("stime", seconds(ru.systemCPUTime)),
  field.uint("maxrss", ru.maxRSS),
  field.uint("ixrss", ru.sharedMemorySize),
  field.uint("idrss", ru.unsharedDataSize),
  field.uint("isrss", ru.unsharedStackSize),
  field.uint("minflt", ru.minorPageFault),
  field.uint("maxflt", ru.majorPageFault),
  field.uint("nswap", ru.swappedOut),
  field.uint("inblock", ru.fsRead),
  field.uint("outblock", ru.fsWrite),
  field.uint("msgsnd", ru.ipcSent),
  field.uint("msgrcv", ru.ipcReceived),
  field.uint("nsignals", ru.signalsCount),
  field.uint("nvcsw", ru.voluntaryContextSwitches),
  field.uint("nivcsw", ru.involuntaryContextSwitches)
]

export interface LinuxKinfo {
  readonly vsize: bigint
  readonly rss: bigint
  readonly tsize: bigint
  readonly dsize: bigint
  readonly ssize: bigint
  readonly runtime: bigint
  /** Seconds since the epoch. */
  readonly start: number
}

/**
 * The figures from /proc/self/stat and /proc/self/statm, read with albatross-stats' parsers
 * (the same proc(5) fields it reports for unikernels); undefined when they do not parse.
 */
export const parseLinuxKinfo = (stat: Buffer, statm: Buffer, start: number): LinuxKinfo | undefined => {
  const f = parseStat(stat, stat.length)
  const m = parseStatm(statm, statm.length)
  if (Either.isLeft(f) || Either.isLeft(m)) return undefined
  const { utime, stime, vsize, rss } = f.right
  const { tsize, dsize } = m.right
  return { vsize, rss, tsize, dsize, ssize: dsize, runtime: ((utime + stime) * 1_000_000n) / CLOCK_TICKS, start }
}

export const kinfoFields = (k: LinuxKinfo, nowSeconds: number): ReadonlyArray<Field> => [
  field.uint("vsize", k.vsize),
  field.uint("rss", k.rss),
  field.uint("tsize", k.tsize),
  field.uint("dsize", k.dsize),
  field.uint("ssize", k.ssize),
  field.uint("cow_faults", 0),
  field.uint("runtime", k.runtime),
  field.float("uptime", nowSeconds - k.start)
]

const readLinuxKinfo = (): LinuxKinfo | undefined => {
  try {
    const ctime = fs.statSync("/proc/self", { bigint: true }).ctimeNs
    // (sec, usec) as metrics-rusage keeps it, then back to a float
    const start = Number(ctime / 1_000_000_000n) + Number((ctime % 1_000_000_000n) / 1000n) / 1_000_000
    return parseLinuxKinfo(fs.readFileSync("/proc/self/stat"), fs.readFileSync("/proc/self/statm"), start)
  } catch {
    return undefined
  }
}

/** Registers `resource_usage` and `kinfo_mem` of this process as polled sources. */
export const processSources = (registry: MetricsRegistry): void => {
  registry.poll(registry.source("resource_usage", ORDER.resourceUsage), [], () => {
    try {
      return rusageFields(process.resourceUsage())
    } catch {
      return []
    }
  })
  registry.poll(registry.source("kinfo_mem", ORDER.kinfoMem), [], () => {
    const k = process.platform === "linux" ? readLinuxKinfo() : undefined
    return k === undefined ? [] : kinfoFields(k, Date.now() / 1000)
  })
}
