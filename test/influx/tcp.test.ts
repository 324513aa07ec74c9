/**
 * The built albatross-influx in TCP mode (spec §9.1) against a real TCP listener that parses
 * the lines, and a stand-in albatross-stats: each stats message becomes the lines of §9.2, and
 * either side can go away and come back: the line-protocol listener without the subscription
 * being lost (messages read meanwhile are delivered afterwards), the stats socket with a new
 * subscription.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { Duration, Effect, Option, Queue } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { sampleOf } from "../../src/layers/test/process-stats.js"
import { ifDataOf } from "../../src/layers/test/interface-stats.js"
import { name, tmpRuntimeDir } from "../stats/support.js"
import { sendStats, standInStats } from "./support.js"

const bin = path.resolve(__dirname, "../../dist/bin/albatross-influx.js")

interface Point {
  readonly measurement: string
  readonly tags: Record<string, string>
  readonly fields: Record<string, string>
}

/** Line protocol as InfluxDB reads it: `measurement,tag=v,... field=v,...` (backslash escapes in keys). */
export const parseLine = (line: string): Point => {
  const split = (s: string, sep: string): Array<string> => {
    const out: Array<string> = []
    let cur = ""
    for (let i = 0; i < s.length; i++) {
      if (s[i] === "\\" && i + 1 < s.length) cur += s[++i]
      else if (s[i] === sep) {
        out.push(cur)
        cur = ""
      } else cur += s[i]
    }
    out.push(cur)
    return out
  }
  const [head, fieldText = ""] = split(line.replace(/\\ /g, "\u0000"), " ").map((p) => p.replace(/\u0000/g, "\\ "))
  const [measurement, ...tags] = split(head!, ",")
  const kv = (parts: Array<string>) => Object.fromEntries(parts.filter((p) => p !== "").map((p) => [p.slice(0, p.lastIndexOf("=")), p.slice(p.lastIndexOf("=") + 1)]))
  return { measurement: measurement!, tags: kv(tags), fields: kv(split(fieldText, ",")) }
}

/** A TCP line-protocol listener on a fixed port that can be stopped and started again. */
const listener = () => {
  const points: Array<Point> = []
  let server: net.Server | undefined
  const sockets = new Set<net.Socket>()
  let port = 0
  const start = () =>
    new Promise<number>((resolve) => {
      server = net.createServer((s) => {
        sockets.add(s)
        let buf = ""
        s.on("data", (c) => {
          buf += c.toString("utf8")
          let nl: number
          while ((nl = buf.indexOf("\n")) !== -1) {
            points.push(parseLine(buf.slice(0, nl)))
            buf = buf.slice(nl + 1)
          }
        })
        s.on("close", () => sockets.delete(s))
      })
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port
        resolve(port)
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server!.close(() => resolve())
    })
  const waitFor = async (pred: (p: Point) => boolean, ms = 15_000): Promise<Point> => {
    const started = Date.now()
    for (;;) {
      const i = points.findIndex(pred)
      if (i !== -1) return points.splice(i, 1)[0]!
      if (Date.now() - started > ms) throw new Error(`no matching point within ${ms} ms; have ${JSON.stringify(points.slice(-5))}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return { start, stop, waitFor, points }
}

let child: ChildProcess | undefined
afterEach(() => {
  child?.kill("SIGKILL")
})

describe("albatross-influx over TCP", () => {
  it("has the built binary", () => {
    expect(fs.existsSync(bin), `needs ${bin}: run 'npm run build' first`).toBe(true)
  })

  it("writes §9.2 lines, survives the listener going away (keeping the subscription) and albatross-stats restarting", async () => {
    const dir = tmpRuntimeDir("influx-tcp-")
    const tcp = listener()
    const port = await tcp.start()
    let stderr = ""
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const subscriptions = yield* standInStats(dir)
          child = spawn(process.execPath, [bin, "--influx", `127.0.0.1:${port}`, "--tmpdir", dir, "-n", "alice:", "-v"], { stdio: ["ignore", "ignore", "pipe"] })
          child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
          const take = Queue.take(subscriptions).pipe(
            Effect.timeoutFail({ duration: Duration.seconds(15), onTimeout: () => new Error(`no subscription:\n${stderr}`) })
          )
          const first = yield* take
          expect(first.name.toString()).toBe("alice:")
          expect(first.sequence).toBe(1n)

          const stats = { ...sampleOf(7), vmm: null, ifdata: [{ ...ifDataOf("tap0", 3), bridge: "net0" }] }
          yield* sendStats(first, name(":web"), stats)
          const ru = yield* Effect.promise(() => tcp.waitFor((p) => p.measurement === "resource_usage"))
          expect(ru.tags).toEqual({ vm: "web" })
          expect(ru.fields["maxflt"]).toBe("7i")
          expect(ru.fields["utime"]).toBe("7.000007")
          expect(ru.fields["nivcsw"]).toBe("42i")
          const mem = yield* Effect.promise(() => tcp.waitFor((p) => p.measurement === "kinfo_mem"))
          expect(mem.fields["vsize"]).toBe(`${7 * 4096}i`)
          expect(Number(mem.fields["uptime"])).toBeGreaterThan(0)
          const ifl = yield* Effect.promise(() => tcp.waitFor((p) => p.measurement === "interface"))
          expect(ifl.tags).toEqual({ vm: "web", bridge: "net0" })
          expect(ifl.fields["vm_to_host_packets"]).toBe("3i")
          expect(ifl.fields["host_to_vm_bytes"]).toBe("600i")

          // the listener goes away; messages read meanwhile are kept and delivered once it is back
          yield* Effect.promise(() => tcp.stop())
          // (a write racing the close could vanish into the dying socket, as with any TCP sender)
          yield* Effect.sleep(Duration.millis(300))
          yield* sendStats(first, name(":web"), { ...stats, rusage: { ...stats.rusage, majflt: 1001n } })
          yield* Effect.sleep(Duration.millis(600))
          yield* sendStats(first, name(":web"), { ...stats, rusage: { ...stats.rusage, majflt: 1002n } })
          yield* Effect.sleep(Duration.millis(600))
          yield* Effect.promise(() => tcp.start())
          yield* Effect.promise(() => tcp.waitFor((p) => p.measurement === "resource_usage" && p.fields["maxflt"] === "1001i"))
          yield* Effect.promise(() => tcp.waitFor((p) => p.measurement === "resource_usage" && p.fields["maxflt"] === "1002i"))
          // the subscription was kept
          expect(Option.isNone(yield* Queue.poll(subscriptions))).toBe(true)
          yield* sendStats(first, name(":web"), { ...stats, rusage: { ...stats.rusage, majflt: 1003n } })
          yield* Effect.promise(() => tcp.waitFor((p) => p.fields["maxflt"] === "1003i"))

          // albatross-stats goes away: a new subscription (next sequence number), lines flow again
          yield* first.conn.close
          const second = yield* take
          expect(second.name.toString()).toBe("alice:")
          expect(second.sequence).toBe(2n)
          yield* sendStats(second, name(":db"), stats)
          const again = yield* Effect.promise(() => tcp.waitFor((p) => p.measurement === "resource_usage" && p.tags["vm"] === "db"))
          expect(again.fields["maxflt"]).toBe("7i")
          expect(child!.exitCode).toBeNull()
        }).pipe(Effect.ensuring(Effect.sync(() => child?.kill("SIGKILL"))))
      )
    )
    await tcp.stop()
  }, 60_000)

  it("refuses to start without a destination, as the reference does", async () => {
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn(process.execPath, [bin, "--tmpdir", "/tmp"], { stdio: ["ignore", "ignore", "pipe"] })
      let err = ""
      c.stderr!.on("data", (d: Buffer) => (err += d.toString()))
      c.on("exit", (code) => resolve({ code, err }))
    })
    expect(r).toEqual({ code: 123, err: "albatross-influx: influx host not provided\n" })
  })
})
