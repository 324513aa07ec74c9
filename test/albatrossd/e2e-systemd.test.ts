/** `--systemd-socket-activation`: the built daemon serves the listening socket it gets as fd 3. */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { DAEMON, request, requireBuild, startConsole, waitFor } from "./e2e-support.js"
import { replyText } from "./support.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "albatrossd-systemd-"))
const tmpdir = path.join(root, "run")
const dbdir = path.join(root, "db")
const cleanups: Array<() => void | Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

describe("albatrossd under systemd socket activation", () => {
  it("answers on the socket handed over as fd 3 (LISTEN_PID, LISTEN_FDS)", { timeout: 30000 }, async () => {
    requireBuild()
    for (const d of ["util", "fifo"]) fs.mkdirSync(path.join(tmpdir, d), { recursive: true })
    fs.mkdirSync(path.join(dbdir, "block"), { recursive: true })
    const consolePeer = await startConsole(tmpdir)
    cleanups.push(() => consolePeer.close())
    if (spawnSync("python3", ["--version"]).status !== 0) throw new Error("this test needs python3 (it plays systemd's part)")
    // systemd's part, done by a small python3 program: bind and listen, put the socket on fd 3,
    // set LISTEN_PID to its own pid and exec the daemon (same pid)
    const systemd = [
      "import os, socket, sys",
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
      "s.bind(sys.argv[1]); s.listen(16)",
      "os.dup2(s.fileno(), 3); os.set_inheritable(3, True)",
      "os.environ['LISTEN_PID'] = str(os.getpid()); os.environ['LISTEN_FDS'] = '1'",
      "os.execv(sys.argv[2], sys.argv[2:])"
    ].join("\n")
    const child = spawn(
      "python3",
      ["-c", systemd, vmmdSocketPath(tmpdir), process.execPath, DAEMON, "--tmpdir", tmpdir, "--dbdir", dbdir, "--systemd-socket-activation"],
      { stdio: ["ignore", "ignore", "pipe"] }
    )
    cleanups.push(() => void child.kill("SIGKILL"))
    let log = ""
    child.stderr!.on("data", (c: Buffer) => (log += c.toString()))
    await waitFor("listening on the systemd socket", () => log.includes("listening on systemd socket"))
    const r = await request(tmpdir, ":", { _tag: "PolicyInfo" })
    expect(replyText(r)).toBe("success:Policies")
  })

  it("without the environment the start is refused", { timeout: 30000 }, async () => {
    requireBuild()
    const child = spawn(process.execPath, [DAEMON, "--tmpdir", tmpdir, "--dbdir", dbdir, "--systemd-socket-activation"], {
      stdio: ["ignore", "ignore", "pipe"]
    })
    let log = ""
    child.stderr!.on("data", (c: Buffer) => (log += c.toString()))
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)))
    expect(code).not.toBe(0)
    expect(log).toContain("Systemd socket activation error")
  })
})
