/** The fake tender fixture behaves like solo5-hvt/spt 0.12.1 as solo5-tender.md describes. */
import { spawn, spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { installFakeTender } from "../fixtures/fake-tender/install.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { tempDir } from "./support.js"

const setup = () => {
  const dir = tempDir()
  const [hvt, spt] = installFakeTender(dir)
  const image = `${dir}/u.img`
  writeFileSync(
    image,
    solo5Image({
      devices: [
        { kind: "net", name: "service" },
        { kind: "block", name: "storage" }
      ]
    })
  )
  const block = `${dir}/disk`
  writeFileSync(block, new Uint8Array(1 << 20))
  const ok = ["--mem=64", "--net:service=vmmtap0", "--net-mac:service=00:80:41:03:9d:1a", `--block:storage=${block}`, "--block-sector-size:storage=4096"]
  return { dir, hvt: hvt!, spt: spt!, image, block, ok }
}

const runSync = (cmd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env } })

describe("fake tender", () => {
  it("prints --version on stderr, ABI from FAKE_TENDER_ABI", () => {
    const { hvt, spt } = setup()
    const r = runSync(hvt, ["--version"])
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", "solo5-hvt tender, version v0.12.1\nABI version 2\n"])
    expect(runSync(spt, ["--version"], { FAKE_TENDER_ABI: "5" }).stderr).toBe("solo5-spt tender, version v0.12.1\nABI version 5\n")
  })

  it("rejects what the real tender rejects", () => {
    const { dir, hvt, spt, image, block, ok } = setup()
    const bad = runSync(hvt, ["--frob", image])
    expect(bad.status).toBe(1)
    expect(bad.stderr.split("\n")[0]).toBe("solo5-hvt: Invalid option: `--frob'")
    expect(bad.stderr).toContain("usage: solo5-hvt")
    const undeclared = runSync(hvt, [...ok, "--net:other=tap1", "--", image])
    expect([undeclared.status, undeclared.stderr]).toEqual([1, "solo5-hvt: Resource not declared in manifest: 'other'\n"])
    const missingDev = runSync(hvt, ["--net:service=tap0", "--", image])
    expect([missingDev.status, missingDev.stderr]).toEqual([
      1,
      "solo5-hvt: All declared devices must be attached. See --help for syntax.\n"
    ])
    const noFile = runSync(hvt, ["--net:service=tap0", `--block:storage=${dir}/nope`, image])
    expect(noFile.stderr).toBe(`solo5-hvt: Could not open block device: ${dir}/nope: No such file or directory\n`)
    const wrongTarget = runSync(spt, [...ok, image])
    expect([wrongTarget.status, wrongTarget.stderr]).toEqual([1, "solo5-spt: Executable is not for the solo5-spt target\n"])
    expect(runSync(hvt, ["--mem=2", "--net:service=t", `--block:storage=${block}`, image]).status).toBe(1)
  })

  it("prints a banner and its argv, then exits as told", () => {
    const { hvt, image, ok } = setup()
    const r = runSync(hvt, [...ok, "--", image, "--name=web", "--fake-lines=2", "--fake-exit=7"])
    expect(r.status).toBe(7)
    expect(r.stdout).toContain("Solo5: Bindings version v0.12.1")
    expect(r.stdout).toContain(`"--mem=64","--net:service=vmmtap0"`)
    expect(r.stdout).toContain("line 1\nline 2\nSolo5: solo5_exit(7) called\n")
    expect(runSync(hvt, [...ok, image, "--name=web", "--fake-exit-if-name=64"]).status).toBe(64)
    expect(runSync(hvt, [...ok, image, "--fake-exit-if-name=64", "--fake-exit=0"]).status).toBe(0)
    expect(runSync(hvt, [...ok, image, "--fake-signal=SEGV"]).signal).toBe("SIGSEGV")
  })

  it("on SIGTERM hvt prints `Exiting on signal 15` and exits 1, spt dies by the signal", async () => {
    const { hvt, spt, image, ok } = setup()
    const stop = (cmd: string, args: ReadonlyArray<string>) =>
      new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) => {
        const c = spawn(cmd, args)
        let out = ""
        c.stdout.on("data", (d: Buffer) => {
          out += d.toString()
          if (out.includes("guest command line")) c.kill("SIGTERM")
        })
        c.on("close", (code, signal) => resolve({ code, signal, out }))
      })
    const h = await stop(hvt, [...ok, image])
    expect([h.code, h.signal]).toEqual([1, null])
    expect(h.out).toContain("solo5-hvt: Exiting on signal 15\n")
    writeFileSync(`${image}.spt`, solo5Image({ target: "spt", devices: [] }))
    const s = await stop(spt, [`${image}.spt`, "--fake-sleep"])
    expect([s.code, s.signal]).toEqual([null, "SIGTERM"])
  })
})
