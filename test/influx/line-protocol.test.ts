/**
 * The line protocol of spec §9.2 for the stats messages recorded from the real albatross
 * (transcripts-network.json) and the stats vectors: the frames decode and re-encode byte for
 * byte, and our lines for them are exactly the reference's format, written out by hand here.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import type { Stats } from "../../src/domain/stats.js"
import type { Wire } from "../../src/domain/wire.js"
import { escapeKey, statsToLines, timeval, vmTag, vmmLine } from "../../src/daemons/influx/line-protocol.js"
import { decodeWireSync, encodeWireSync } from "../../src/wire/index.js"
import { bytesToHex, hexToBytes, type Json, wireFromJson } from "../support/vector-values.js"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

const vectors = sharedVectorsDir
const load = (file: string): Json => JSON.parse(fs.readFileSync(path.join(vectors, file), "utf8")) as Json

interface Frame {
  readonly hex: string | null
  readonly decoded: { readonly ok: boolean; readonly value: Json }
}
interface Step {
  readonly step: string
  readonly connections: ReadonlyArray<{ readonly frames: ReadonlyArray<Frame> }>
}

const statsFrames = (): ReadonlyArray<Frame> => {
  const steps = load("transcripts-network.json") as unknown as ReadonlyArray<Step>
  return steps.flatMap((s) => s.connections.flatMap((c) => c.frames)).filter((f) => f.hex !== null && JSON.stringify(f.decoded.value).includes('"stats_data"'))
}

const decode = (hex: string): Wire => {
  const d = decodeWireSync(hexToBytes(hex))
  if (Either.isLeft(d)) throw new Error(d.left.message)
  return d.right
}

const statsOf = (w: Wire): Stats => {
  if (w.payload._tag !== "Data" || w.payload.data._tag !== "StatsData") throw new Error("not a stats message")
  return w.payload.data.stats
}

describe("stats frames recorded from albatross", () => {
  const frames = statsFrames()

  it("there are stats frames in transcripts-network.json", () => {
    expect(frames.length).toBeGreaterThan(0)
  })

  it("decode to the recorded values and re-encode byte for byte", () => {
    for (const f of frames) {
      const wire = decode(f.hex!)
      expect(wire).toEqual(wireFromJson(f.decoded.value))
      const re = encodeWireSync(wire)
      if (Either.isLeft(re)) throw new Error(re.left.message)
      expect(bytesToHex(re.right)).toBe(f.hex)
    }
  })

  it("give exactly the lines of spec §9.2", () => {
    const wire = decode(frames[0]!.hex!)
    // start 1795337461.741992, now 1795337471.0: uptime 9.258008
    const lines = statsToLines(vmTag(wire.header.name, false), statsOf(wire), 1795337471.0)
    expect(lines).toBe(
      "resource_usage,vm=netuk utime=0.120000,stime=15.360000,maxrss=455i,ixrss=0i,idrss=0i,isrss=0i,minflt=188i,maxflt=1i,nswap=0i,inblock=0i,outblock=0i,msgsnd=0i,msgrcv=0i,nsignals=0i,nvcsw=3i,nivcsw=137066i\n" +
        "kinfo_mem,vm=netuk vsize=46755840i,rss=455i,tsize=5i,dsize=2138i,ssize=2138i,cow_faults=0i,runtime=15480000i,uptime=9.258008\n" +
        "interface,vm=netuk,bridge=net0 send_queue_length=0i,max_send_queue_length=0i,send_queue_drops=0i,mtu=1500i,baudrate=0i,vm_to_host_packets=0i,vm_to_host_errors=0i,vm_to_host_bytes=0i,vm_to_host_mcast=0i,vm_to_host_dropped=0i,collisions=0i,host_to_vm_packets=0i,host_to_vm_errors=0i,host_to_vm_bytes=0i,host_to_vm_mcast=0i,host_to_vm_dropped=0i\n"
    )
    expect(statsToLines(vmTag(wire.header.name, true), statsOf(wire), 1795337471.0).split("\n")[0]).toMatch(/^resource_usage,vm=:netuk utime=/)
  })
})

describe("stats vectors", () => {
  const vector = (name: string): Wire => {
    const all = load("vectors.json") as unknown as ReadonlyArray<{ name: string; hex: string }>
    const v = all.find((x) => x.name === name)
    if (v === undefined) throw new Error(`no vector ${name}`)
    return decode(v.hex)
  }

  it("data/stats-full: unsigned int64 and int32, vmm key escaping, one line per interface", () => {
    const wire = vector("data/stats-full")
    expect(wire.header.name.toString()).toBe("tenant:foo")
    const lines = statsToLines(vmTag(wire.header.name, false), statsOf(wire), 100.5)
    expect(lines).toBe(
      [
        "resource_usage,vm=foo utime=123456.999999,stime=0.000000,maxrss=1000000i,ixrss=1000001i,idrss=1000002i,isrss=1000003i,minflt=1000004i,maxflt=1000005i,nswap=1000006i,inblock=1000007i,outblock=1000008i,msgsnd=1000009i,msgrcv=1000010i,nsignals=1000011i,nvcsw=1000012i,nivcsw=1000013i",
        "kinfo_mem,vm=foo vsize=18446744073709551611i,rss=18446744073709551612i,tsize=18446744073709551613i,dsize=18446744073709551614i,ssize=18446744073709551615i,cow_faults=18446744073709551615i,runtime=0i,uptime=101.499999",
        "vmm,vm=foo Resident\\ memory=1048576i,Wired\\ memory=0i,vm\\ exits=9223372036854775807i",
        "interface,vm=foo,bridge=service send_queue_length=1i,max_send_queue_length=50i,send_queue_drops=0i,mtu=1500i,baudrate=1000i,vm_to_host_packets=1001i,vm_to_host_errors=1002i,vm_to_host_bytes=1006i,vm_to_host_mcast=1008i,vm_to_host_dropped=1010i,collisions=1005i,host_to_vm_packets=1003i,host_to_vm_errors=1004i,host_to_vm_bytes=1007i,host_to_vm_mcast=1009i,host_to_vm_dropped=1011i",
        "interface,vm=foo,bridge=ext send_queue_length=1i,max_send_queue_length=50i,send_queue_drops=0i,mtu=2147483647i,baudrate=9223372036854775808i,vm_to_host_packets=9223372036854775809i,vm_to_host_errors=9223372036854775810i,vm_to_host_bytes=9223372036854775814i,vm_to_host_mcast=9223372036854775816i,vm_to_host_dropped=9223372036854775818i,collisions=9223372036854775813i,host_to_vm_packets=9223372036854775811i,host_to_vm_errors=9223372036854775812i,host_to_vm_bytes=9223372036854775815i,host_to_vm_mcast=9223372036854775817i,host_to_vm_dropped=9223372036854775819i",
        ""
      ].join("\n")
    )
    expect(lines.startsWith("resource_usage,vm=tenant:foo ")).toBe(false)
    expect(statsToLines(vmTag(wire.header.name, true), statsOf(wire), 100.5).startsWith("resource_usage,vm=tenant:foo ")).toBe(true)
  })

  it("data/stats-vmm-empty: an empty vmm list gives a line without fields [QUIRK]", () => {
    const wire = vector("data/stats-vmm-empty")
    expect(statsToLines("foo", statsOf(wire), 0)).toBe(
      "resource_usage,vm=foo utime=1.000002,stime=3.000004,maxrss=10i,ixrss=11i,idrss=12i,isrss=13i,minflt=14i,maxflt=15i,nswap=16i,inblock=17i,outblock=18i,msgsnd=19i,msgrcv=20i,nsignals=21i,nvcsw=22i,nivcsw=23i\nvmm,vm=foo \n"
    )
  })

  it("data/stats-ifdata-only: no kinfo and no vmm line, empty bridge tag kept", () => {
    const wire = vector("data/stats-ifdata-only")
    const lines = statsToLines("foo", statsOf(wire), 0).split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[0]).toContain("maxrss=18446744073709551615i,ixrss=0i")
    expect(lines[1]).toMatch(/^interface,vm=foo,bridge= send_queue_length=1i,/)
    expect(lines[2]).toBe("")
  })
})

describe("formatting helpers", () => {
  it("timeval pads microseconds to six digits (%06d, sign included)", () => {
    expect(timeval({ sec: 5n, usec: 7 })).toBe("5.000007")
    expect(timeval({ sec: -1n, usec: -5 })).toBe("18446744073709551615.-00005")
  })
  it("vmm keys escape comma, space and equals only", () => {
    expect(escapeKey("a,b c=d\\e\"f")).toBe('a\\,b\\ c\\=d\\e"f')
    expect(vmmLine("x", [{ key: "k=1", value: -1n }])).toBe("vmm,vm=x k\\=1=18446744073709551615i")
  })
  it("vm tag: label only by default, the full name for a path-name or with --no-drop-path", () => {
    const n = (s: string) => Either.getOrThrow(Name.fromString(s))
    expect(vmTag(n("a:b:web"), false)).toBe("web")
    expect(vmTag(n("a:b:web"), true)).toBe("a:b:web")
    expect(vmTag(n("a:b:"), false)).toBe("a:b:")
    expect(vmTag(n(":web"), true)).toBe(":web")
  })
})
