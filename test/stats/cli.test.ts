/** Command lines of the built albatross-stats: refused options exit 124 like cmdliner's, startup errors exit non-zero with the message. */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { tmpRuntimeDir } from "./support.js"

const bin = path.resolve(__dirname, "../../dist/bin/albatross-stats.js")
const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 20_000, env })

describe("albatross-stats command line", () => {
  it("has the built binary", () => {
    expect(fs.existsSync(bin), `needs ${bin}: run 'npm run build' first`).toBe(true)
  })
  it("refuses a bad interval, a missing tmpdir and an unknown verbosity with 124", () => {
    const dir = tmpRuntimeDir("stats-cli-")
    expect(run(["--tmpdir", dir, "--interval=abc"]).status).toBe(124)
    expect(run(["--tmpdir", dir, "--interval", "0"]).status).toBe(124)
    expect(run(["--tmpdir", "/nonexistent/albatross"]).status).toBe(124)
    expect(run(["--tmpdir", dir, "--verbosity=loud"]).status).toBe(124)
  })
  it("--systemd-socket-activation without systemd's variables fails with the reference's message", () => {
    const dir = tmpRuntimeDir("stats-cli-")
    const r = run(["--tmpdir", dir, "--systemd-socket-activation"], { ...process.env, LISTEN_PID: undefined, LISTEN_FDS: undefined })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("Systemd socket activation error")
  })
})
