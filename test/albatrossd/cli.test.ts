/** The albatrossd command line (built binary): version, bad options, abort texts of spec §4.2. */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { DAEMON, requireBuild } from "./e2e-support.js"

const run = (...args: Array<string>) => spawnSync(process.execPath, [DAEMON, ...args], { encoding: "utf8", timeout: 20000 })

describe("albatrossd command line", () => {
  it("--version prints the release and protocol version", () => {
    requireBuild()
    const r = run("--version")
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/protocol version 5/)
  })

  it("a bad option value exits 124", () => {
    requireBuild()
    expect(run("--crash-loop-restarts", "0").status).toBe(124)
    expect(run("--tmpdir", "/nonexistent/dir").status).toBe(124)
  })

  it("without albatross-console the start is aborted with the reference's text", () => {
    requireBuild()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "albatrossd-cli-"))
    fs.mkdirSync(path.join(dir, "run", "util"), { recursive: true })
    fs.mkdirSync(path.join(dir, "db", "block"), { recursive: true })
    const r = run("--tmpdir", path.join(dir, "run"), "--dbdir", path.join(dir, "db"))
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain(`Failed to connect to ${path.join(dir, "run", "util", "console.sock")}, is albatross-console started?`)
  })

  it("an undecodable state file aborts the start", () => {
    requireBuild()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "albatrossd-cli-"))
    fs.mkdirSync(path.join(dir, "run", "util"), { recursive: true })
    fs.mkdirSync(path.join(dir, "db", "block"), { recursive: true })
    fs.writeFileSync(path.join(dir, "db", "state"), Buffer.from([1, 2, 3]))
    const r = run("--tmpdir", path.join(dir, "run"), "--dbdir", path.join(dir, "db"))
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain("couldn't parse state")
  })
})
