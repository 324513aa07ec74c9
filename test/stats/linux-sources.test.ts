/** Linux sources: the /proc parsers on recorded files, and the sysfs flag and counter mapping. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { indexNetDev, netDevCounters, netlinkFlags, operstateOf, sysfsNumber } from "../../src/layers/linux/interface-stats-parse.js"
import { linuxInterfaceStatsLayer } from "../../src/layers/linux/interface-stats.js"
import {
  integerAt,
  linuxProcessSampleFromTexts as linuxProcessSample,
  parseStat,
  parseStatus,
  ticksToTimeval
} from "../../src/layers/linux/process-stats-parse.js"
import { linuxProcessStatsLayer } from "../../src/layers/linux/process-stats.js"
import { InterfaceStats, InterfaceStatsError } from "../../src/services/interface-stats.js"
import { ProcessStats } from "../../src/services/process-stats.js"

const fixture = (f: string) => fs.readFileSync(path.join(__dirname, "fixtures/linux", f), "latin1")
const stat = fixture("stat-odd-name.txt")
const statm = fixture("statm-odd-name.txt")
const status = fixture("status-odd-name.txt")

/** Replace field `i` (pid = 0, name = 1) of a stat line. */
const withField = (line: string, i: number, value: string): string => {
  const close = line.lastIndexOf(")")
  const rest = line.slice(close + 2).trimEnd().split(" ")
  rest[i - 2] = value
  return `${line.slice(0, close + 2)}${rest.join(" ")}\n`
}

const bytes = (s: string) => Buffer.from(s, "latin1")

describe("/proc/<pid>/stat", () => {
  it("the name is between the first ( and the last ), the rest splits on spaces", () => {
    // a ")" and spaces inside the name do not shift the fields
    const f = Either.getOrThrow(parseStat(bytes(stat), stat.length))
    expect(f).toEqual({ minflt: 135n, majflt: 0n, utime: 0n, stime: 0n, vsize: 2990080n, rss: 425n, nswap: 0n })
  })
  it("rejects a line without the parenthesised name, or with fewer than 52 fields", () => {
    expect(Either.isLeft(parseStat(bytes("123 sleep S 1 2 3"), 17))).toBe(true)
    const short = stat.slice(0, stat.lastIndexOf(" "))
    expect(parseStat(bytes(short), short.length)).toEqual(Either.left("couldn't read /proc/<pid>/stat"))
  })
  it("reads only up to the length given (the rest of a reused buffer is stale)", () => {
    const buf = bytes(`${stat.trimEnd()}\n1 (stale) X 9 9 9`)
    expect(Either.isRight(parseStat(buf, stat.length))).toBe(true)
  })
  it("integers: decimal with optional minus, beyond 2^53 exact", () => {
    const b = bytes("-12 18446744073709551615 1x")
    expect(integerAt(b, 0, 3)).toBe(-12n)
    expect(integerAt(b, 4, 24)).toBe(18446744073709551615n)
    expect(integerAt(b, 25, 27)).toBeUndefined()
    expect(integerAt(b, 0, 1)).toBeUndefined()
  })
})

describe("linuxProcessSample on recorded files", () => {
  const base = { stat, statm, status, startNs: 1795392986_123456789n, clockTick: 100 }

  it("takes minflt 9, majflt 11, vsize 22, rss 23, nswap 35, statm text 3 and data 5, the ctxt switches", () => {
    const s = Either.getOrThrow(linuxProcessSample(base))
    expect(s.rusage.minflt).toBe(135n)
    expect(s.rusage.majflt).toBe(0n)
    expect(s.rusage.maxrss).toBe(425n)
    expect(s.rusage.nswap).toBe(0n)
    expect(s.rusage.nvcsw).toBe(1n)
    expect(s.rusage.nivcsw).toBe(0n)
    expect(s.kinfoMem).toEqual({
      vsize: 2990080n,
      rss: 425n,
      tsize: 5n,
      dsize: 89n,
      ssize: 89n,
      runtime: 0n,
      cow: 0,
      start: { sec: 1795392986n, usec: 123456 }
    })
    for (const k of ["ixrss", "idrss", "isrss", "inblock", "outblock", "msgsnd", "msgrcv", "nsignals"] as const) expect(s.rusage[k]).toBe(0n)
  })

  it("converts utime 13 and stime 14 from clock ticks; runtime is their sum in microseconds", () => {
    const busy = withField(withField(withField(withField(stat, 13, "1234"), 14, "567"), 9, "77"), 11, "3")
    const s = Either.getOrThrow(linuxProcessSample({ ...base, stat: busy }))
    expect(s.rusage.utime).toEqual({ sec: 12n, usec: 340000 })
    expect(s.rusage.stime).toEqual({ sec: 5n, usec: 670000 })
    expect(s.rusage.minflt).toBe(77n)
    expect(s.rusage.majflt).toBe(3n)
    expect(s.kinfoMem.runtime).toBe(18_010_000n)
    const odd = Either.getOrThrow(linuxProcessSample({ ...base, stat: busy, clockTick: 250 }))
    expect(odd.rusage.utime).toEqual({ sec: 4n, usec: 936000 })
    expect(ticksToTimeval(1n, 3)).toEqual({ sec: 0n, usec: 333333 })
  })

  it("fails (never throws) on short or garbled files", () => {
    expect(linuxProcessSample({ ...base, stat: "1 (x) S 1 2 3\n" })).toEqual(Either.left("couldn't read /proc/<pid>/stat"))
    expect(Either.isLeft(linuxProcessSample({ ...base, stat: "no parentheses at all\n" }))).toBe(true)
    expect(linuxProcessSample({ ...base, statm: "1 2 3\n" })).toEqual(Either.left("couldn't read /proc/<pid>/stat"))
    expect(Either.isLeft(linuxProcessSample({ ...base, stat: withField(stat, 23, "abc") }))).toBe(true)
    expect(Either.isLeft(linuxProcessSample({ ...base, status: "Name:\tx\n" }))).toBe(true)
  })

  it("status: the two context-switch counters, values trimmed", () => {
    const b = bytes(`Name:\tx\nvoluntary_ctxt_switches:\t 17 \nnonvoluntary_ctxt_switches:\t4\n`)
    expect(parseStatus(b, b.length)).toEqual(Either.right({ nvcsw: 17n, nivcsw: 4n }))
    const r = bytes(status)
    expect(parseStatus(r, r.length)).toEqual(Either.right({ nvcsw: 1n, nivcsw: 0n }))
  })
})

describe("Linux process source on this machine", () => {
  it("samples a live process and fails once it is gone", async () => {
    const { spawn } = await import("node:child_process")
    const child = spawn("sleep", ["30"])
    await new Promise((r) => child.once("spawn", r))
    const pid = child.pid!
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* ProcessStats
        const watch = yield* source.watch(pid)
        const first = yield* watch.sample
        child.kill("SIGKILL")
        yield* Effect.promise(() => new Promise((r) => child.once("exit", r)))
        yield* Effect.sleep(50)
        const after = yield* Effect.either(watch.sample)
        yield* watch.close
        const missing = yield* Effect.either(source.watch(2 ** 30))
        return { first, after, missing }
      }).pipe(Effect.provide(linuxProcessStatsLayer()))
    )
    expect(result.first.kinfoMem!.vsize).toBeGreaterThan(0n)
    expect(Either.isLeft(result.after)).toBe(true)
    expect(Either.isLeft(result.missing)).toBe(true)
  })
})

describe("interface flags and counters", () => {
  it("adds RUNNING / LOWER_UP / DORMANT like dev_get_flags when the interface is up", () => {
    // the recorded albatross tap: 0x11043 = UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP, sysfs shows 0x1003
    expect(netlinkFlags(0x1003, "up", "1")).toBe(69699)
    expect(netlinkFlags(0x1003, "unknown", "0")).toBe(0x1043)
    expect(netlinkFlags(0x1003, "dormant", "1")).toBe(0x31003)
    expect(netlinkFlags(0x1002, "down", undefined)).toBe(0x1002)
  })

  it("maps rx to vm-to-host (input) and tx to host-to-vm (output), read from sysfs files", async () => {
    // a sysfs tree of plain files: pread at offset 0 works on them as on sysfs attributes
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "sysfs-"))
    const dir = path.join(root, "tap0")
    fs.mkdirSync(path.join(dir, "statistics"), { recursive: true })
    const files: Record<string, string> = {
      ifindex: "7",
      flags: "0x1003",
      mtu: "1500",
      operstate: "up",
      carrier: "1",
      "statistics/rx_packets": "1",
      "statistics/rx_errors": "2",
      "statistics/tx_packets": "3",
      "statistics/tx_errors": "4",
      "statistics/collisions": "5",
      "statistics/rx_bytes": "6",
      "statistics/tx_bytes": "7",
      "statistics/multicast": "8",
      "statistics/rx_dropped": "9",
      "statistics/tx_dropped": "18446744073709551615"
    }
    for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), `${v}\n`)
    const d = await Effect.runPromise(
      Effect.gen(function* () {
        const w = yield* (yield* InterfaceStats).watch("tap0")
        return yield* w.sample
      }).pipe(Effect.provide(linuxInterfaceStatsLayer(root)))
    )
    expect(d).toEqual({
      bridge: "tap0",
      flags: 69699,
      sendLength: 0,
      maxSendLength: 0,
      sendDrops: 0,
      mtu: 1500,
      baudrate: 0n,
      inputPackets: 1n,
      inputErrors: 2n,
      outputPackets: 3n,
      outputErrors: 4n,
      collisions: 5n,
      inputBytes: 6n,
      outputBytes: 7n,
      inputMcast: 8n,
      outputMcast: 0n,
      inputDropped: 9n,
      outputDropped: 18446744073709551615n
    })
  })

  it("sysfs values: decimal and 0x hexadecimal numbers, operational states", () => {
    const b = (s: string) => Buffer.from(s, "latin1")
    expect(sysfsNumber(b("0x1003\n"), 7)).toBe(0x1003)
    expect(sysfsNumber(b("1500\n"), 5)).toBe(1500)
    expect(sysfsNumber(b("\n"), 1)).toBeUndefined()
    expect(operstateOf(b("up\n"), 3)).toBe("up")
    expect(operstateOf(b("unknown\n"), 8)).toBe("unknown")
    expect(operstateOf(b("dormant\n"), 8)).toBe("dormant")
    expect(operstateOf(b("upper\n"), 6)).toBe("other")
    expect(operstateOf(b("down\n"), 5)).toBe("other")
  })

  it("reads the loopback interface and refuses unknown or path-like names", async () => {
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* InterfaceStats
        const lo = yield* source.watch("lo")
        const d = yield* lo.sample
        yield* lo.close
        const unknown = yield* Effect.either(source.watch("nosuchtap0"))
        const traversal = yield* Effect.either(source.watch("../lo"))
        return { d, unknown, traversal }
      }).pipe(Effect.provide(linuxInterfaceStatsLayer()))
    )
    expect(r.d.mtu).toBe(Number(fs.readFileSync("/sys/class/net/lo/mtu", "utf8")))
    expect(r.d.flags & 1).toBe(1)
    expect(Either.isLeft(r.unknown)).toBe(true)
    expect(Either.isLeft(r.traversal)).toBe(true)
  })
})

describe("/proc/net/dev", () => {
  const recorded = fs.readFileSync(path.join(__dirname, "fixtures/linux/net-dev.txt"))
  const counters = (text: Buffer, name: string) => {
    const index = new Map<string, number>()
    indexNetDev(text, text.length, index)
    const at = index.get(name)
    return at === undefined ? undefined : netDevCounters(text, at, text.length)
  }

  it("indexes every interface line of a recorded file, names longer than the 6 columns included", () => {
    const index = new Map<string, number>()
    indexNetDev(recorded, recorded.length, index)
    expect([...index.keys()]).toEqual(["lo", "tap0", "vm-long-name-x"])
    expect(counters(recorded, "lo")).toEqual({
      rx_bytes: 5412000n,
      rx_packets: 6000n,
      rx_errors: 0n,
      rx_drop: 0n,
      multicast: 0n,
      tx_bytes: 5412000n,
      tx_packets: 6000n,
      tx_errors: 0n,
      tx_dropped: 0n,
      collisions: 0n
    })
    expect(counters(recorded, "vm-long-name-x")?.rx_bytes).toBe(0n)
    expect(counters(recorded, "eth9")).toBeUndefined()
  })

  it("takes bytes, packets, errs, drop, multicast of receive and bytes, packets, errs, drop, colls of transmit", () => {
    // the kernel's format: "%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu %4llu %4llu %5llu %7llu %10llu"
    const line = Buffer.from(
      `Inter-|   Receive\n face |bytes\n  tap7: 18446744073709551615       2    3    4    5     6          7         8        9      10   11   12   13    14      15         16\n`,
      "latin1"
    )
    expect(counters(line, "tap7")).toEqual({
      rx_bytes: 18446744073709551615n,
      rx_packets: 2n,
      rx_errors: 3n,
      rx_drop: 4n,
      multicast: 8n,
      tx_bytes: 9n,
      tx_packets: 10n,
      tx_errors: 11n,
      tx_dropped: 12n,
      collisions: 14n
    })
    // a short or garbled line is no line
    expect(counters(Buffer.from("  tap7: 1 2 3\n"), "tap7")).toBeUndefined()
    expect(counters(Buffer.from("  tap7: 1 2 3 4 5 6 7 x 9 10 11 12 13 14 15 16\n"), "tap7")).toBeUndefined()
    // also in a column the ifdata does not carry (receive fifo)
    expect(counters(Buffer.from("  tap7: 1 2 3 4 y 6 7 8 9 10 11 12 13 14 15 16\n"), "tap7")).toBeUndefined()
  })

  /** A sysfs tree of plain files and a /proc/net/dev file (pread at offset 0 works on them as on the kernel's). */
  const fakeHost = (taps: Record<string, { tun: boolean; rxDropped: number }>) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "sysfs-"))
    for (const [tap, t] of Object.entries(taps)) {
      const dir = path.join(root, "class", tap)
      fs.mkdirSync(path.join(dir, "statistics"), { recursive: true })
      const files: Record<string, string> = { ifindex: "7", flags: "0x1003", mtu: "1500", operstate: "up", carrier: "1" }
      if (t.tun) files.tun_flags = "0x1802"
      for (const c of ["rx_packets", "rx_errors", "tx_packets", "tx_errors", "collisions", "rx_bytes", "tx_bytes", "multicast", "tx_dropped"])
        files[`statistics/${c}`] = "1000"
      files["statistics/rx_dropped"] = String(t.rxDropped)
      for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), `${v}\n`)
    }
    const netDev = path.join(root, "net-dev")
    const writeNetDev = (rxBytes: number, names = Object.keys(taps)) =>
      fs.writeFileSync(
        netDev,
        `Inter-|   Receive\n face |bytes\n${names
          .map((tap) => `${tap.padStart(6)}: ${rxBytes} 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n`)
          .join("")}`
      )
    writeNetDev(1)
    return { layer: linuxInterfaceStatsLayer(path.join(root, "class"), netDev), writeNetDev }
  }

  it("the layer: counters from /proc/net/dev, flags and MTU from sysfs; rx_dropped from sysfs unless the interface is a tun/tap", async () => {
    const host = fakeHost({ tap0: { tun: true, rxDropped: 99 }, eth0: { tun: false, rxDropped: 99 } })
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* InterfaceStats
        const tapWatch = yield* source.watch("tap0")
        const tap = yield* tapWatch.sample
        const eth = yield* (yield* source.watch("eth0")).sample
        // what the stats tick reads in place: the same figures, under the name it gives
        const inPlace = tapWatch.sampleNow?.("net0")
        yield* tapWatch.close
        const closed = Either.try(() => tapWatch.sampleNow?.("net0"))
        return { tap, eth, inPlace, closed }
      }).pipe(Effect.provide(host.layer))
    )
    expect(r.tap).toEqual({
      bridge: "tap0",
      flags: 69699,
      sendLength: 0,
      maxSendLength: 0,
      sendDrops: 0,
      mtu: 1500,
      baudrate: 0n,
      inputPackets: 2n,
      inputErrors: 3n,
      outputPackets: 10n,
      outputErrors: 11n,
      collisions: 14n,
      inputBytes: 1n,
      outputBytes: 9n,
      inputMcast: 8n,
      outputMcast: 0n,
      inputDropped: 4n,
      outputDropped: 12n
    })
    // /proc/net/dev's drop column adds rx_missed_errors, which only the tun driver never counts
    expect(r.eth).toEqual({ ...r.tap, bridge: "eth0", inputDropped: 99n })
    expect(r.inPlace).toEqual({ ...r.tap, bridge: "net0" })
    expect(Either.isLeft(r.closed) && r.closed.left).toBeInstanceOf(InterfaceStatsError)
  })

  it("one read of /proc/net/dev serves every tap of a tick; a tap sampled again, or a later tick, reads it again", async () => {
    const host = fakeHost({ tap0: { tun: true, rxDropped: 0 }, tap1: { tun: true, rxDropped: 0 } })
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const source = yield* InterfaceStats
        const tap0 = yield* source.watch("tap0")
        const tap1 = yield* source.watch("tap1")
        const a0 = yield* tap0.sample
        host.writeNetDev(2)
        // same turn of the event loop: tap1 gets the snapshot tap0's sample read
        const a1 = yield* tap1.sample
        // tap0 already used that snapshot: it reads the file again
        const b0 = yield* tap0.sample
        host.writeNetDev(3)
        yield* Effect.sleep(5)
        const c1 = yield* tap1.sample
        return [a0.inputBytes, a1.inputBytes, b0.inputBytes, c1.inputBytes]
      }).pipe(Effect.provide(host.layer))
    )
    expect(r).toEqual([1n, 1n, 2n, 3n])
  })

  it("an interface missing from /proc/net/dev (renamed since) is read from its sysfs statistics", async () => {
    const host = fakeHost({ tap0: { tun: true, rxDropped: 5 } })
    host.writeNetDev(1, ["other"])
    const d = await Effect.runPromise(
      Effect.gen(function* () {
        const w = yield* (yield* InterfaceStats).watch("tap0")
        return yield* w.sample
      }).pipe(Effect.provide(host.layer))
    )
    expect(d.inputBytes).toBe(1000n)
    expect(d.inputDropped).toBe(5n)
    expect(d.mtu).toBe(1500)
  })
})
