/**
 * The daemons' logging options end to end, on the built binaries: `--syslog` delivers to a real
 * syslog socket (a Unix datagram socket bound by a perl stand-in for syslogd, since Node cannot
 * bind one) through the system's `logger`, a missing socket is the reference's exit 2, `-vv`
 * is accepted, `--color` colors the level, and `--inetd` takes `--syslog` instead of `-q`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { tmpRuntimeDir } from "../stats/support.js"

const dist = path.resolve(__dirname, "../../dist/bin")
const statsBin = path.join(dist, "albatross-stats.js")

const requireTool = (tool: string): void => {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0
  if (!found) throw new Error(`this test needs '${tool}' on PATH (Debian: apt-get install ${tool === "logger" ? "bsdutils" : tool})`)
}

const children: Array<ChildProcess> = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL")
})

/** A syslogd stand-in: binds a datagram socket and prints each message it receives on a line. */
const startSyslogd = async (socketPath: string): Promise<{ readonly received: () => string }> => {
  requireTool("perl")
  const script =
    'use IO::Socket::UNIX; use Socket; $|=1; my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ARGV[0]) or die "bind: $!"; ' +
    'print "ready\\n"; while (1) { $s->recv(my $m, 65536); print "$m\\n"; }'
  const child = spawn("perl", ["-e", script, socketPath], { stdio: ["ignore", "pipe", "inherit"] })
  children.push(child)
  let out = ""
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString("utf8")
  })
  for (let i = 0; i < 100 && !out.includes("ready"); i++) await new Promise((r) => setTimeout(r, 50))
  if (!out.includes("ready")) throw new Error("the syslog stand-in did not start")
  return { received: () => out }
}

const waitFor = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  for (let t = 0; t < ms && !cond(); t += 50) await new Promise((r) => setTimeout(r, 50))
}

describe("logging options of the daemons", () => {
  it("--syslog sends the daemon's messages to the syslog socket, tagged with its name and pid, facility daemon", async () => {
    requireTool("logger")
    const dir = tmpRuntimeDir("syslog-")
    const socketPath = path.join(dir, "log")
    const syslogd = await startSyslogd(socketPath)
    const daemon = spawn(process.execPath, [statsBin, "--tmpdir", dir, "--syslog", "--syslog-socket", socketPath], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    children.push(daemon)
    let stderr = ""
    daemon.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString("utf8")
    })
    await waitFor(() => syslogd.received().includes("cannot connect"))
    const lines = syslogd.received().split("\n")
    // info = daemon.info = 3*8+6, error = 3*8+3
    expect(lines.find((l) => l.includes("listening on"))).toMatch(new RegExp(`^<30>.* albatross-stats\\[${daemon.pid}\\]: listening on ${dir}/util/stat.sock$`))
    expect(lines.find((l) => l.includes("cannot connect"))).toMatch(/^<27>.* albatross-stats\[\d+\]: cannot connect to /)
    expect(stderr).toBe("")
  })

  it("--syslog without a syslog socket prints the reference's error on stdout and exits 2", () => {
    const dir = tmpRuntimeDir("syslog-")
    const r = spawnSync(process.execPath, [statsBin, "--tmpdir", dir, "--syslog", "--syslog-socket", path.join(dir, "nolog")], { encoding: "utf8", timeout: 20_000 })
    expect(r.status).toBe(2)
    expect(r.stdout).toBe(`ERROR: couldn't install syslog reporter: ${path.join(dir, "nolog")}: No such file or directory\n`)
    fs.writeFileSync(path.join(dir, "plain"), "")
    const notSocket = spawnSync(process.execPath, [statsBin, "--tmpdir", dir, "--syslog", "--syslog-socket", path.join(dir, "plain")], { encoding: "utf8", timeout: 20_000 })
    expect(notSocket.status).toBe(2)
    expect(notSocket.stdout).toContain("is not a socket")
  })

  it("accepts -vv and -v -v (debug), colors the level with --color=always, and logs nothing with -q", async () => {
    const dir = tmpRuntimeDir("verbose-")
    // the stats daemon retries vmmd.sock every second: the first failure is an error, the next ones debug
    const run = async (args: ReadonlyArray<string>, failures = 1): Promise<string> => {
      const child = spawn(process.execPath, [statsBin, "--tmpdir", dir, ...args], { stdio: ["ignore", "ignore", "pipe"] })
      children.push(child)
      let err = ""
      child.stderr?.on("data", (b: Buffer) => {
        err += b.toString("utf8")
      })
      await waitFor(() => err.split("cannot connect").length > failures, 1_000 + failures * 1_500)
      child.kill("SIGTERM")
      await new Promise((r) => child.once("exit", r))
      return err
    }
    expect(await run(["-vv"], 2)).toContain("[DEBUG] cannot connect")
    expect(await run(["-v", "-v"], 2)).toContain("[DEBUG] cannot connect")
    expect(await run([], 2)).not.toContain("[DEBUG]")
    expect(await run(["--color=always"])).toContain("[\x1b[34mINFO\x1b[0m] listening on")
    expect(await run(["--color", "never"])).toContain("[INFO] listening on")
    expect(await run(["--verbosity", "error"])).not.toContain("[INFO]")
    expect(await run(["-q", "-v"])).toBe("")
  })

  it("albatross-tls-endpoint --inetd runs with --syslog (no -q needed) and still exits 3 without either", async () => {
    requireTool("logger")
    const dir = tmpRuntimeDir("inetd-syslog-")
    const socketPath = path.join(dir, "log")
    await startSyslogd(socketPath)
    const bin = path.join(dist, "albatross-tls-endpoint.js")
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) fs.writeFileSync(path.join(dir, f), "")
    const noLog = spawnSync(process.execPath, [bin, "ca.pem", "cert.pem", "key.pem", "--tmpdir", dir, "--inetd"], { cwd: dir, encoding: "utf8", timeout: 20_000 })
    expect(noLog.status).toBe(3)
    // with --syslog it gets past that check and fails on the (empty) CA file instead
    const withSyslog = spawnSync(
      process.execPath,
      [bin, "ca.pem", "cert.pem", "key.pem", "--tmpdir", dir, "--inetd", "--syslog", "--syslog-socket", socketPath],
      { cwd: dir, encoding: "utf8", timeout: 20_000, input: "" }
    )
    expect(withSyslog.status).not.toBe(3)
    expect(withSyslog.stdout).toBe("")
  })
})
