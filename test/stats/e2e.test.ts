/**
 * End to end, all real: the built `albatross-stats` as a child process inside a network
 * namespace this test creates, a real child process standing in for a unikernel and attached
 * to a real tap device there, traffic through the tap in both directions, a stand-in albatrossd
 * on vmmd.sock that registers the unikernel, and a real subscriber on stat.sock. The numbers
 * the subscriber receives must equal /proc/<pid> and the tap's kernel counters.
 * Needs root (network namespaces, taps), `ip` and `perl`; CI runs as root.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Duration, Effect, Either, Queue } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Stats } from "../../src/domain/stats.js"
import { connectUnix, type Connection } from "../../src/net/connection.js"
import { serveUnix } from "../../src/net/server.js"
import { successEmpty } from "../../src/wire/reply.js"
import { command, next, replyText, statsOf, tmpRuntimeDir } from "./support.js"

const repo = path.resolve(__dirname, "../..")
const bin = path.join(repo, "dist/bin/albatross-stats.js")
const ns = `albst${process.pid}`
const tap = `tapst${process.pid % 100000}`

const sh = (cmd: string, args: ReadonlyArray<string>) => execFileSync(cmd, [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

const requirements = (): string | undefined => {
  if (process.getuid?.() !== 0) return "must run as root (network namespace and tap device)"
  for (const tool of ["ip", "perl"]) {
    try {
      sh("sh", ["-c", `command -v ${tool}`])
    } catch {
      return `needs the '${tool}' tool (apt-get install ${tool === "ip" ? "iproute2" : "perl-base"})`
    }
  }
  if (!fs.existsSync("/dev/net/tun")) return "needs /dev/net/tun"
  if (!fs.existsSync(bin)) return `needs the built daemon ${bin}: run 'npm run build' first`
  return undefined
}

/** Lines of a child's stdout, as they come. */
const lines = (child: ChildProcess) => {
  const seen: Array<string> = []
  let buf = ""
  child.stdout!.on("data", (c: Buffer) => {
    buf += c.toString("utf8")
    let nl: number
    while ((nl = buf.indexOf("\n")) !== -1) {
      seen.push(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
    }
  })
  return (match: RegExp, ms = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const started = Date.now()
      const poll = () => {
        const i = seen.findIndex((l) => match.test(l))
        if (i !== -1) resolve(seen.splice(i, 1)[0]!)
        else if (Date.now() - started > ms) reject(new Error(`no line matching ${match} within ${ms} ms`))
        else setTimeout(poll, 20)
      }
      poll()
    })
}

/** The /proc figures the reference reads, parsed here independently of the daemon's parser. */
const procFigures = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
  const f = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ")
  const field = (i: number) => BigInt(f[i - 2]!)
  const statm = fs.readFileSync(`/proc/${pid}/statm`, "latin1").trim().split(" ")
  const status = fs.readFileSync(`/proc/${pid}/status`, "latin1")
  const ctx = (k: string) => BigInt(new RegExp(`^${k}:\\s*(\\d+)$`, "m").exec(status)![1]!)
  const hz = BigInt(sh("getconf", ["CLK_TCK"]).trim())
  const tv = (t: bigint) => ({ sec: t / hz, usec: Number(((t % hz) * 1_000_000n) / hz) })
  const ctimeNs = fs.statSync(`/proc/${pid}`, { bigint: true }).ctimeNs
  return {
    rusage: {
      utime: tv(field(13)),
      stime: tv(field(14)),
      maxrss: field(23),
      ixrss: 0n,
      idrss: 0n,
      isrss: 0n,
      minflt: field(9),
      majflt: field(11),
      nswap: field(35),
      inblock: 0n,
      outblock: 0n,
      msgsnd: 0n,
      msgrcv: 0n,
      nsignals: 0n,
      nvcsw: ctx("voluntary_ctxt_switches"),
      nivcsw: ctx("nonvoluntary_ctxt_switches")
    },
    kinfoMem: {
      vsize: field(22),
      rss: field(23),
      tsize: BigInt(statm[3]!),
      dsize: BigInt(statm[5]!),
      ssize: BigInt(statm[5]!),
      runtime: ((field(13) + field(14)) * 1_000_000n) / hz,
      cow: 0,
      start: { sec: ctimeNs / 1_000_000_000n, usec: Number((ctimeNs % 1_000_000_000n) / 1000n) }
    }
  }
}

/** The tap's counters and settings as the kernel shows them inside the namespace. */
const tapCounters = () => {
  const names = ["rx_packets", "rx_errors", "tx_packets", "tx_errors", "collisions", "rx_bytes", "tx_bytes", "multicast", "rx_dropped", "tx_dropped"]
  const out = sh("ip", ["netns", "exec", ns, "sh", "-c", `cd /sys/class/net/${tap} && cat mtu ${names.map((n) => `statistics/${n}`).join(" ")}`])
    .trim()
    .split("\n")
  const v = (n: string) => BigInt(out[1 + names.indexOf(n)]!)
  return {
    mtu: Number(out[0]),
    inputPackets: v("rx_packets"),
    inputErrors: v("rx_errors"),
    outputPackets: v("tx_packets"),
    outputErrors: v("tx_errors"),
    collisions: v("collisions"),
    inputBytes: v("rx_bytes"),
    outputBytes: v("tx_bytes"),
    inputMcast: v("multicast"),
    inputDropped: v("rx_dropped"),
    outputDropped: v("tx_dropped")
  }
}

const UDP_DATAGRAMS = 40
const FRAMES_FROM_VM = 25

describe("albatross-stats end to end (root, netns, tap)", () => {
  const problem = requirements()
  let unikernel: ChildProcess | undefined
  let daemon: ChildProcess | undefined
  let stderr = ""

  beforeAll(() => {
    if (problem !== undefined) return
    const ipv6 = `/proc/sys/net/ipv6/conf/${tap}/disable_ipv6`
    sh("ip", ["netns", "add", ns])
    sh("ip", ["-n", ns, "link", "set", "lo", "up"])
    sh("ip", ["-n", ns, "tuntap", "add", "dev", tap, "mode", "tap"])
    // no IPv6 chatter (router solicitations, MLD) on the tap: only our traffic moves the counters
    sh("ip", ["netns", "exec", ns, "sh", "-c", `[ ! -e ${ipv6} ] || echo 1 > ${ipv6}`])
    sh("ip", ["-n", ns, "addr", "add", "10.199.0.1/24", "dev", tap])
  })

  afterAll(() => {
    daemon?.kill("SIGKILL")
    unikernel?.kill("SIGKILL")
    if (problem === undefined) {
      try {
        sh("ip", ["netns", "del", ns])
      } catch {
        // already gone
      }
    }
  })

  it("has what it needs", () => {
    expect(problem, problem).toBeUndefined()
  })

  it("reports the unikernel's /proc figures and the tap's counters to a subscriber; a vanished process is dropped", async () => {
    expect(problem, problem).toBeUndefined()
    const dir = tmpRuntimeDir("stats-e2e-")

    unikernel = spawn("ip", ["netns", "exec", ns, "perl", path.join(__dirname, "support/tap-unikernel.pl"), tap], { stdio: ["pipe", "pipe", "inherit"] })
    const ukLine = lines(unikernel)
    const pid = Number((await ukLine(/^attached /)).split(" ")[1])
    expect(pid).toBe(unikernel.pid)
    sh("ip", ["-n", ns, "link", "set", tap, "up"])
    sh("ip", ["-n", ns, "neigh", "replace", "10.199.0.2", "lladdr", "02:00:00:00:00:02", "dev", tap, "nud", "permanent"])

    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          // stand-in albatrossd: hands the connection from albatross-stats to the test
          const links = yield* Queue.unbounded<Connection>()
          yield* serveUnix({ path: path.join(dir, "util/vmmd.sock") }, (conn) => Effect.zipRight(Queue.offer(links, conn), conn.closed))

          daemon = spawn("ip", ["netns", "exec", ns, process.execPath, bin, "--tmpdir", dir, "--interval", "0.3", "-v"], {
            stdio: ["ignore", "ignore", "pipe"]
          })
          daemon.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")))

          const link = yield* Queue.take(links).pipe(Effect.timeoutFail({ duration: Duration.seconds(15), onTimeout: () => new Error(`albatross-stats did not connect to vmmd.sock:\n${stderr}`) }))
          const initial = yield* next(link)
          expect(initial).toEqual(command(":", { _tag: "StatsInitial" }, 0n))
          yield* link.writeWire(successEmpty(initial.header))
          yield* link.writeWire(command("e2e:uk", { _tag: "StatsAdd", vmmdev: "", pid, taps: [{ bridge: "net0", tap }] }, 1n))
          expect(replyText(yield* next(link))).toBe("success:added")

          const sub = yield* connectUnix(path.join(dir, "util/stat.sock"))
          yield* sub.writeWire(command("e2e:", { _tag: "StatsSubscribe" }))
          expect(replyText(yield* next(sub))).toBe("success:subscribed")

          // traffic: frames from the "unikernel" into the host, UDP datagrams from the host to it
          unikernel!.stdin!.write(`send ${FRAMES_FROM_VM}\n`)
          yield* Effect.promise(() => ukLine(/^sent /))
          sh("ip", [
            "netns",
            "exec",
            ns,
            process.execPath,
            "-e",
            `const s=require("dgram").createSocket("udp4");let n=0;const go=()=>s.send(Buffer.alloc(50,1),9,"10.199.0.2",()=>{if(++n<${UDP_DATAGRAMS})go();else s.close()});go()`
          ])
          // the kernel counts a frame sent to the tap once the tender has read it
          for (let i = 0; ; i++) {
            unikernel!.stdin!.write("count\n")
            const received = Number((yield* Effect.promise(() => ukLine(/^received /))).split(" ")[1])
            if (received >= UDP_DATAGRAMS) break
            if (i > 50) throw new Error(`the stand-in unikernel read only ${received} frames`)
            yield* Effect.sleep(Duration.millis(100))
          }

          // compare a received sample with a fresh read; the counters may move between the two, so retry
          let matched: Stats | undefined
          let last = ""
          for (let attempt = 0; attempt < 10 && matched === undefined; attempt++) {
            const w = yield* next(sub)
            expect(w.header.name.toString()).toBe(":uk")
            const stats = statsOf(w)
            const proc = procFigures(pid)
            const counters = tapCounters()
            const i = stats.ifdata[0]
            const same =
              JSON.stringify({ r: stats.rusage, k: stats.kinfoMem }, (_, v) => (typeof v === "bigint" ? v.toString() : v)) ===
                JSON.stringify({ r: proc.rusage, k: proc.kinfoMem }, (_, v) => (typeof v === "bigint" ? v.toString() : v)) &&
              i !== undefined &&
              Object.entries(counters).every(([k, v]) => i[k as keyof typeof i] === v)
            last = JSON.stringify({ stats, proc, counters }, (_, v) => (typeof v === "bigint" ? v.toString() : v))
            if (same && i!.inputPackets >= BigInt(FRAMES_FROM_VM) && i!.outputPackets >= BigInt(UDP_DATAGRAMS)) matched = stats
          }
          expect(matched, `no sample equal to /proc and the tap counters: ${last}`).toBeDefined()
          const i = matched!.ifdata[0]!
          expect(matched!.ifdata).toHaveLength(1)
          expect(i.bridge).toBe("net0")
          expect(i.inputBytes).toBeGreaterThanOrEqual(BigInt(FRAMES_FROM_VM * 100))
          // 50 bytes of payload + UDP 8 + IPv4 20 + Ethernet 14
          expect(i.outputBytes).toBeGreaterThanOrEqual(BigInt(UDP_DATAGRAMS * 92))
          expect(i.flags & 0x1).toBe(1)
          expect(matched!.vmm).toBeNull()

          // the unikernel's process goes away: dropped with a log line, the daemon lives on
          unikernel!.kill("SIGKILL")
          yield* Effect.promise(() => new Promise((r) => unikernel!.once("exit", r)))
          yield* Effect.sleep(Duration.seconds(1))
          expect(stderr).toMatch(new RegExp(`failed to get rusage for ${pid} \\(e2e:uk\\)`))
          expect(daemon!.exitCode).toBeNull()
          // a message already queued before the drop may still arrive; after it, silence
          yield* Effect.either(next(sub, 400))
          expect(Either.isLeft(yield* Effect.either(next(sub, 1000)))).toBe(true)
          yield* link.writeWire(command("e2e:other", { _tag: "StatsAdd", vmmdev: "", pid: process.pid, taps: [] }, 2n))
          expect(replyText(yield* next(link))).toBe("success:added")
          expect((yield* next(sub)).header.name.toString()).toBe(":other")
        }).pipe(
          // the daemon holds a connection to our vmmd.sock: end it before the server is closed
          Effect.ensuring(Effect.sync(() => daemon?.kill("SIGKILL")))
        )
      )
    )
  }, 90_000)
})
