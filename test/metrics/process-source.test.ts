/** resource_usage and kinfo_mem of the daemon's own process (src/metrics/process-source.ts). */
import { describe, expect, it } from "vitest"
import { encodeLine, stringTag } from "../../src/metrics/line-protocol.js"
import { kinfoFields, parseLinuxKinfo, rusageFields } from "../../src/metrics/process-source.js"

// proc(5) numbering: 3 state … 10 minflt 11 cminflt 12 majflt 13 cmajflt 14 utime 15 stime … 22 starttime 23 vsize 24 rss
const fields = Array.from({ length: 52 }, (_, i) => String(i + 1))
fields[0] = "4242"
fields[1] = "(node (x) y)"
fields[2] = "S"
fields[13] = "250" // utime, ticks
fields[14] = "50" // stime
fields[21] = "999999" // starttime: not used
fields[22] = "1073741824" // vsize, bytes
fields[23] = "12345" // rss, pages
const stat = Buffer.from(fields.join(" "), "latin1")
const statm = Buffer.from("262144 12345 3000 1700 0 40000 0", "latin1")

describe("own process sources", () => {
  it("kinfo_mem from /proc/self/stat and statm: the fields proc(5) names (a command name with parentheses and spaces)", () => {
    const k = parseLinuxKinfo(stat, statm, 1000.5)
    expect(k).toEqual({ vsize: 1073741824n, rss: 12345n, tsize: 1700n, dsize: 40000n, ssize: 40000n, runtime: 3_000_000n, start: 1000.5 })
    expect(encodeLine("kinfo_mem", [stringTag("vm", "albatross")], kinfoFields(k!, 1060.75))).toBe(
      "kinfo_mem,vm=albatross vsize=1073741824i,rss=12345i,tsize=1700i,dsize=40000i,ssize=40000i,cow_faults=0i,runtime=3000000i,uptime=60.25\n"
    )
    expect(parseLinuxKinfo(Buffer.from("4242 (node) S 1 2"), statm, 0)).toBeUndefined()
    expect(parseLinuxKinfo(stat, Buffer.from("1 2 3"), 0)).toBeUndefined()
  })

  it("resource_usage: metrics-rusage's names (maxflt carries majflt), times as seconds", () => {
    const ru: NodeJS.ResourceUsage = {
      userCPUTime: 1_500_000,
      systemCPUTime: 250_001,
      maxRSS: 51200,
      sharedMemorySize: 0,
      unsharedDataSize: 0,
      unsharedStackSize: 0,
      minorPageFault: 7000,
      majorPageFault: 3,
      swappedOut: 0,
      fsRead: 8,
      fsWrite: 16,
      ipcSent: 0,
      ipcReceived: 0,
      signalsCount: 1,
      voluntaryContextSwitches: 99,
      involuntaryContextSwitches: 5
    }
    expect(encodeLine("resource_usage", [stringTag("vm", "albatross_stats")], rusageFields(ru))).toBe(
      "resource_usage,vm=albatross_stats utime=1.5,stime=0.250001,maxrss=51200i,ixrss=0i,idrss=0i,isrss=0i,minflt=7000i,maxflt=3i,nswap=0i,inblock=8i,outblock=16i,msgsnd=0i,msgrcv=0i,nsignals=1i,nvcsw=99i,nivcsw=5i\n"
    )
  })
})
