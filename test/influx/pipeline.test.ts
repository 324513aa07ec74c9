/**
 * The whole metrics pipeline, all real: a process standing in for a unikernel, the built
 * albatross-stats sampling it, the built albatross-influx subscribed for its path `pipe:` (with
 * --no-drop-path, so the tag is the name relative to that path, `:uk`), and InfluxDB 1.x
 * receiving the points; the figures read back from InfluxDB equal the process's /proc figures.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { connectUnix } from "../../src/net/connection.js"
import { command, next, replyText, tmpRuntimeDir } from "../stats/support.js"

const dist = path.resolve(__dirname, "../../dist/bin")

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })

const children: Array<ChildProcess> = []
afterAll(() => {
  for (const c of children) c.kill("SIGKILL")
})

const query = async (port: number, q: string): Promise<Array<Record<string, unknown>>> => {
  const res = await fetch(`http://127.0.0.1:${port}/query?db=albatross&q=${encodeURIComponent(q)}`).catch(() => undefined)
  if (res === undefined) return []
  const body = (await res.json()) as { results?: Array<{ series?: Array<{ columns: Array<string>; values: Array<Array<unknown>> }> }> }
  const s = body.results?.[0]?.series?.[0]
  return s === undefined ? [] : s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])))
}

describe("unikernel process → albatross-stats → albatross-influx → InfluxDB", () => {
  it("the points in InfluxDB carry the process's /proc figures under its name relative to the subscribed path", async () => {
    let influxd: string | undefined
    try {
      influxd = execFileSync("sh", ["-c", "command -v influxd"], { encoding: "utf8" }).trim() || undefined
    } catch {
      influxd = undefined
    }
    expect(influxd, "needs influxd: apt-get install influxdb (Debian package; .ci/run installs it)").toBeDefined()
    expect(fs.existsSync(path.join(dist, "albatross-stats.js")), "needs the built daemons: npm run build").toBe(true)

    const dir = tmpRuntimeDir("pipeline-")
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "influxd-"))
    const httpPort = await freePort()
    const rpcPort = await freePort()
    fs.writeFileSync(
      path.join(data, "influxdb.conf"),
      `reporting-disabled = true\nbind-address = "127.0.0.1:${rpcPort}"\n[meta]\n  dir = "${data}/meta"\n[data]\n  dir = "${data}/data"\n  wal-dir = "${data}/wal"\n  query-log-enabled = false\n[monitor]\n  store-enabled = false\n[http]\n  bind-address = "127.0.0.1:${httpPort}"\n  log-enabled = false\n`
    )
    const log = fs.openSync(path.join(data, "log"), "w")
    children.push(spawn(influxd!, ["-config", path.join(data, "influxdb.conf")], { stdio: ["ignore", log, log] }))
    for (let i = 0; ; i++) {
      if (await fetch(`http://127.0.0.1:${httpPort}/ping`).then((r) => r.status === 204, () => false)) break
      if (i > 150) throw new Error(`influxd did not start: ${fs.readFileSync(path.join(data, "log"), "utf8").slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect((await fetch(`http://127.0.0.1:${httpPort}/query?q=${encodeURIComponent("CREATE DATABASE albatross")}`, { method: "POST" })).status).toBe(200)

    const unikernel = spawn("sleep", ["600"], { stdio: "ignore" })
    children.push(unikernel)
    await new Promise((r) => unikernel.once("spawn", r))
    const pid = unikernel.pid!
    let stderr = ""
    const stats = spawn(process.execPath, [path.join(dist, "albatross-stats.js"), "--tmpdir", dir, "--interval", "0.3"], { stdio: ["ignore", "ignore", "pipe"] })
    children.push(stats)
    stats.stderr!.on("data", (c: Buffer) => (stderr += c.toString()))
    const influx = spawn(
      process.execPath,
      [path.join(dist, "albatross-influx.js"), "--tmpdir", dir, "-n", "pipe:", "--no-drop-path", "--influx-url", `http://127.0.0.1:${httpPort}/write?db=albatross`],
      { stdio: ["ignore", "ignore", "pipe"] }
    )
    children.push(influx)
    influx.stderr!.on("data", (c: Buffer) => (stderr += c.toString()))

    // register the unikernel the way albatross-client stats-add does (albatross-influx retries until stat.sock exists)
    const sock = path.join(dir, "util/stat.sock")
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50))
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const conn = yield* connectUnix(sock)
          yield* conn.writeWire(command("pipe:uk", { _tag: "StatsAdd", vmmdev: "", pid, taps: [] }))
          expect(replyText(yield* next(conn))).toBe("success:added")
        })
      )
    )

    let rows: Array<Record<string, unknown>> = []
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      rows = await query(httpPort, "SELECT * FROM resource_usage WHERE vm = ':uk' ORDER BY time DESC LIMIT 1")
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 200))
    }
    expect(rows.length, `no point arrived:\n${stderr}`).toBe(1)
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
    const f = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ")
    const field = (i: number) => Number(f[i - 2])
    // an idle `sleep`: its figures do not move
    expect(rows[0]).toMatchObject({ vm: ":uk", minflt: field(9), maxflt: field(11), maxrss: field(23) })
    const mem = await query(httpPort, "SELECT * FROM kinfo_mem WHERE vm = ':uk' ORDER BY time DESC LIMIT 1")
    expect(mem[0]).toMatchObject({ vsize: field(22), rss: field(23) })
  }, 90_000)
})
