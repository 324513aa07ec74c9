/** FreeBSD sources: parsers of procstat, ps, ifconfig, netstat and bhyvectl output (hand-written fixtures, see fixtures/README.md). */
import * as fs from "node:fs"
import * as path from "node:path"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { freebsdIfData, parseIfconfig, parseNetstatLink } from "../../src/layers/freebsd/interface-stats-parse.js"
import { parseLstart, parseProcstatRusage, parseProcstatTime, parsePsKinfo } from "../../src/layers/freebsd/process-stats-parse.js"
import { parseBhyvectlStats } from "../../src/layers/freebsd/vmm-stats-parse.js"

const fixture = (f: string) => fs.readFileSync(path.join(__dirname, "fixtures/freebsd", f), "latin1")

describe("procstat -r", () => {
  it("gives all 16 rusage fields, times with microseconds and days", () => {
    const ru = Either.getOrThrow(parseProcstatRusage(fixture("procstat-r.txt"), 4711))
    expect(ru).toEqual({
      utime: { sec: 1n, usec: 234567 },
      stime: { sec: 86400n + 2n * 3600n + 3n * 60n + 4n, usec: 500 },
      maxrss: 36880n,
      ixrss: 3280n,
      idrss: 224n,
      isrss: 128n,
      minflt: 9123n,
      majflt: 17n,
      nswap: 0n,
      inblock: 5n,
      outblock: 6n,
      msgsnd: 7n,
      msgrcv: 8n,
      nsignals: 9n,
      nvcsw: 12345n,
      nivcsw: 678n
    })
  })
  it("ignores other pids and fails on missing lines", () => {
    expect(Either.isLeft(parseProcstatRusage(fixture("procstat-r.txt"), 4712))).toBe(true)
    const truncated = fixture("procstat-r.txt").split("\n").slice(0, 6).join("\n")
    expect(Either.isLeft(parseProcstatRusage(truncated, 4711))).toBe(true)
  })
  it("time formats", () => {
    expect(parseProcstatTime("00:00:00.000001")).toEqual(Either.right({ sec: 0n, usec: 1 }))
    expect(parseProcstatTime("2 days 00:00:01.5")).toEqual(Either.right({ sec: 172801n, usec: 500000 }))
    expect(Either.isLeft(parseProcstatTime("soon"))).toBe(true)
  })
})

describe("ps kinfo figures", () => {
  it("converts KiB back to bytes (vsize) and pages (rss, text, data, stack); runtime = utime + stime", () => {
    const ru = Either.getOrThrow(parseProcstatRusage(fixture("procstat-r.txt"), 4711))
    const k = Either.getOrThrow(parsePsKinfo(fixture("ps-kinfo.txt"), ru, 4096))
    expect(k).toEqual({
      vsize: 46080n * 1024n,
      rss: 9220n,
      tsize: 256n,
      dsize: 512n,
      ssize: 32n,
      runtime: 1_234_567n + (86400n + 7384n) * 1_000_000n + 500n,
      cow: 42,
      start: { sec: BigInt(Date.UTC(2025, 10, 3, 9, 5, 7) / 1000), usec: 0 }
    })
  })
  it("lstart in the C locale, UTC", () => {
    expect(parseLstart("Thu Jan  1 00:00:00 1970")).toEqual(Either.right(0n))
    expect(Either.isLeft(parseLstart("1 Jan 1970"))).toBe(true)
  })
})

describe("ifconfig and netstat", () => {
  it("flags (hex) and mtu from the first ifconfig line", () => {
    expect(parseIfconfig(fixture("ifconfig-tap0.txt"))).toEqual(Either.right({ flags: 0x1008943, mtu: 1500 }))
    expect(Either.isLeft(parseIfconfig("ifconfig: interface tap9 does not exist"))).toBe(true)
  })
  it("the <Link#n> row, matched to the header from the right", () => {
    const c = Either.getOrThrow(parseNetstatLink(fixture("netstat-tap0.txt"), "tap0"))
    expect(c).toEqual({ Ipkts: 31337n, Ierrs: 1n, Idrop: 2n, Ibytes: 4194304n, Opkts: 27182n, Oerrs: 3n, Obytes: 2097152n, Coll: 0n, Drop: 4n })
    const header = fixture("netstat-tap0.txt").split("\n")[0]!
    const tun = Either.getOrThrow(parseNetstatLink(`${header}\n${fixture("netstat-tun0-row.txt")}`, "tun0"))
    expect(tun.Ipkts).toBe(10n)
    expect(tun.Obytes).toBe(1680n)
    expect(Either.isLeft(parseNetstatLink(fixture("netstat-tap0.txt"), "tap1"))).toBe(true)
  })
  it("ifdata: input is what the unikernel sent, output what it received", () => {
    const d = Either.getOrThrow(freebsdIfData("tap0", fixture("ifconfig-tap0.txt"), fixture("netstat-tap0.txt")))
    expect(d).toMatchObject({
      bridge: "tap0",
      flags: 0x1008943,
      mtu: 1500,
      inputPackets: 31337n,
      inputErrors: 1n,
      inputDropped: 2n,
      inputBytes: 4194304n,
      outputPackets: 27182n,
      outputErrors: 3n,
      outputBytes: 2097152n,
      collisions: 0n,
      outputDropped: 4n
    })
  })
})

describe("bhyvectl --get-stats", () => {
  it("descriptions and values, last to first like the reference", () => {
    const s = Either.getOrThrow(parseBhyvectlStats(fixture("bhyvectl-stats.txt")))
    expect(s).toEqual([
      { key: "number of NMIs delivered to vcpu, x=1", value: 0n },
      { key: "Resident memory", value: 37748736n },
      { key: "vm exits due to external interrupt", value: 56n },
      { key: "number of times in/out was intercepted", value: 1234n }
    ])
  })
  it("fails without the stats header or on a garbled line", () => {
    expect(Either.isLeft(parseBhyvectlStats("bhyvectl: vm_open: No such file or directory\n"))).toBe(true)
    expect(Either.isLeft(parseBhyvectlStats("vcpu0 stats:\nfoo bar\n"))).toBe(true)
  })
})
