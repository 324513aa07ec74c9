/**
 * The built albatross-influx with `--influx-url` against a real InfluxDB 1.x (Debian's
 * `influxdb` package, installed by .ci/run): influxd runs with a throwaway configuration and
 * data directory on loopback ports, and the points are read back through its query API.
 * albatross-influx starts before influxd is up, so the first batch also proves the retry.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Duration, Effect, Either, Queue } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import type { Stats } from "../../src/domain/stats.js"
import { decodeWireSync } from "../../src/wire/index.js"
import { hexToBytes } from "../support/vector-values.js"
import { name, tmpRuntimeDir } from "../stats/support.js"
import { sendStats, standInStats } from "./support.js"
import { vectorsDir as sharedVectorsDir } from "../support/vectors-dir.js"

const bin = path.resolve(__dirname, "../../dist/bin/albatross-influx.js")
const vectors = sharedVectorsDir

const influxd = (): string | undefined => {
  try {
    return execFileSync("sh", ["-c", "command -v influxd"], { encoding: "utf8" }).trim() || undefined
  } catch {
    return undefined
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })

/** The stats of a recorded frame (and of the stats-full vector, whose unsigned values InfluxDB 1.x refuses). */
const recordedStats = (): { netuk: Stats; full: Stats } => {
  const steps = JSON.parse(fs.readFileSync(path.join(vectors, "transcripts-network.json"), "utf8")) as Array<{
    connections: Array<{ frames: Array<{ hex: string | null; decoded: unknown }> }>
  }>
  const frame = steps
    .flatMap((s) => s.connections.flatMap((c) => c.frames))
    .find((f) => f.hex !== null && JSON.stringify(f.decoded).includes('"stats_data"'))
  const full = (JSON.parse(fs.readFileSync(path.join(vectors, "vectors.json"), "utf8")) as Array<{ name: string; hex: string }>).find(
    (v) => v.name === "data/stats-full"
  )!
  const stats = (hex: string): Stats => {
    const w = Either.getOrThrow(decodeWireSync(hexToBytes(hex)))
    if (w.payload._tag !== "Data" || w.payload.data._tag !== "StatsData") throw new Error("not stats")
    return w.payload.data.stats
  }
  return { netuk: stats(frame!.hex!), full: stats(full.hex) }
}

interface Series {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly values: ReadonlyArray<ReadonlyArray<unknown>>
}

const query = async (port: number, q: string): Promise<ReadonlyArray<Series>> => {
  const res = await fetch(`http://127.0.0.1:${port}/query?db=albatross&q=${encodeURIComponent(q)}`)
  const body = (await res.json()) as { results?: Array<{ series?: Array<Series> }> }
  return body.results?.[0]?.series ?? []
}

/** One point of a measurement as column → value, waiting until it is there. */
const point = async (port: number, measurement: string, where: string, ms = 20_000): Promise<Record<string, unknown>> => {
  const started = Date.now()
  for (;;) {
    const series = await query(port, `SELECT * FROM ${measurement} WHERE ${where}`).catch(() => [])
    const s = series[0]
    if (s !== undefined && s.values.length > 0)
      return Object.fromEntries(s.columns.map((c, i) => [c, s.values[s.values.length - 1]![i]]))
    if (Date.now() - started > ms) throw new Error(`no ${measurement} point where ${where} within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

const children: Array<ChildProcess> = []
afterAll(() => {
  for (const c of children) c.kill("SIGKILL")
})

describe("albatross-influx --influx-url with a real InfluxDB", () => {
  it("has influxd and the built binary", () => {
    expect(influxd(), "needs influxd: apt-get install influxdb (Debian package; .ci/run installs it)").toBeDefined()
    expect(fs.existsSync(bin), `needs ${bin}: run 'npm run build' first`).toBe(true)
  })

  it("writes the points of §9.2 through the HTTP API, retrying until InfluxDB is up; a refused batch is dropped, not retried forever", async () => {
    const daemon = influxd()
    expect(daemon, "needs influxd: apt-get install influxdb").toBeDefined()
    const dir = tmpRuntimeDir("influx-http-")
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "influxd-"))
    const httpPort = await freePort()
    const rpcPort = await freePort()
    const config = path.join(data, "influxdb.conf")
    fs.writeFileSync(
      config,
      [
        "reporting-disabled = true",
        `bind-address = "127.0.0.1:${rpcPort}"`,
        "[meta]",
        `  dir = "${data}/meta"`,
        "[data]",
        `  dir = "${data}/data"`,
        `  wal-dir = "${data}/wal"`,
        "  query-log-enabled = false",
        "[monitor]",
        "  store-enabled = false",
        "[http]",
        "  enabled = true",
        `  bind-address = "127.0.0.1:${httpPort}"`,
        "  log-enabled = false",
        ""
      ].join("\n")
    )
    const { netuk, full } = recordedStats()
    let stderr = ""
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const subscriptions = yield* standInStats(dir)
          const influx = spawn(process.execPath, [bin, "--influx-url", `http://127.0.0.1:${httpPort}/write?db=albatross`, "--tmpdir", dir, "-v"], {
            stdio: ["ignore", "ignore", "pipe"]
          })
          children.push(influx)
          influx.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
          const sub = yield* Queue.take(subscriptions).pipe(
            Effect.timeoutFail({ duration: Duration.seconds(15), onTimeout: () => new Error(`no subscription:\n${stderr}`) })
          )
          expect(sub.name.toString()).toBe(":")

          // InfluxDB is not up yet: the batch waits
          yield* sendStats(sub, name(":netuk"), netuk)
          yield* Effect.sleep(Duration.millis(800))
          const server = spawn(daemon!, ["-config", config], { stdio: ["ignore", fs.openSync(path.join(data, "log"), "w"), fs.openSync(path.join(data, "log"), "a")] })
          children.push(server)
          yield* Effect.promise(async () => {
            for (let i = 0; ; i++) {
              const up = await fetch(`http://127.0.0.1:${httpPort}/ping`).then((r) => r.status === 204, () => false)
              if (up) break
              if (i > 150) throw new Error(`influxd did not start: ${fs.readFileSync(path.join(data, "log"), "utf8").slice(-2000)}`)
              await new Promise((r) => setTimeout(r, 100))
            }
            const created = await fetch(`http://127.0.0.1:${httpPort}/query?q=${encodeURIComponent("CREATE DATABASE albatross")}`, { method: "POST" })
            expect(created.status).toBe(200)
          })

          const ru = yield* Effect.promise(() => point(httpPort, "resource_usage", "vm = 'netuk'"))
          expect(ru).toMatchObject({ utime: 0.12, stime: 15.36, maxrss: 455, minflt: 188, maxflt: 1, nvcsw: 3, nivcsw: 137066, vm: "netuk" })
          const mem = yield* Effect.promise(() => point(httpPort, "kinfo_mem", "vm = 'netuk'"))
          expect(mem).toMatchObject({ vsize: 46755840, rss: 455, tsize: 5, dsize: 2138, ssize: 2138, cow_faults: 0, runtime: 15480000 })
          expect(typeof mem["uptime"]).toBe("number")
          const ifl = yield* Effect.promise(() => point(httpPort, "interface", "vm = 'netuk'"))
          expect(ifl).toMatchObject({ bridge: "net0", mtu: 1500, vm_to_host_packets: 0, host_to_vm_bytes: 0, send_queue_length: 0 })

          // values beyond int64 (the reference prints int64 unsigned) make InfluxDB refuse the batch: dropped
          yield* sendStats(sub, name("tenant:foo"), full)
          yield* Effect.sleep(Duration.millis(500))
          yield* sendStats(sub, name(":second"), { ...netuk, rusage: { ...netuk.rusage, majflt: 77n } })
          const second = yield* Effect.promise(() => point(httpPort, "resource_usage", "vm = 'second'"))
          expect(second["maxflt"]).toBe(77)
          expect(stderr).toMatch(/answered 400/)
          expect(influx.exitCode).toBeNull()
        }).pipe(Effect.ensuring(Effect.sync(() => children.forEach((c) => c.kill("SIGKILL")))))
      )
    )
  }, 90_000)
})
