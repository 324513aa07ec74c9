import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { Effect, Either, Fiber } from "effect"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { Name } from "../../src/domain/name.js"
import { nodeCommandRunner } from "../../src/layers/linux/command-runner.js"
import { makePosixFifo } from "../../src/layers/linux/fifo.js"
import { makePosixTender, spawnThroughHelper, spawnWithFifo, versionOutputMatches } from "../../src/layers/linux/tender.js"
import { makeSpawnHelper } from "../../src/layers/linux/spawn-helper.js"
import { makeRecordingRunner, scriptTable } from "../../src/layers/test/command-runner.js"
import { TestTenders } from "../../src/layers/test/tender.js"
import { solo5Argv } from "../../src/services/tender-argv.js"
import { installFakeTender } from "../fixtures/fake-tender/install.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { readFifo, requireTool, run, runFailure, tempDir } from "./support.js"

const savedAbi = process.env["FAKE_TENDER_ABI"]
const savedPath = process.env["PATH"]
afterEach(() => {
  if (savedAbi === undefined) delete process.env["FAKE_TENDER_ABI"]
  else process.env["FAKE_TENDER_ABI"] = savedAbi
  process.env["PATH"] = savedPath
})

const setup = () => {
  const root = tempDir()
  const paths = { tmpdir: `${root}/run`, dbdir: `${root}/db` }
  mkdirSync(`${paths.tmpdir}/fifo`, { recursive: true })
  mkdirSync(`${paths.dbdir}/block`, { recursive: true })
  return { root, paths }
}

describe("tender lookup (spec §5.4 steps 4-5)", () => {
  it("prefers <dbdir>/<base>.<abi>, then PATH, then <dbdir>/<base>", async () => {
    const { root, paths } = setup()
    const bin = `${root}/bin`
    installFakeTender(bin, ["solo5-hvt"])
    process.env["PATH"] = `${bin}:${savedPath}`
    const tender = (_: string) => makePosixTender({ os: "Linux", paths, runner: nodeCommandRunner })
    expect(await run(tender(bin).lookup("hvt", 2))).toBe("solo5-hvt")
    installFakeTender(paths.dbdir, ["solo5-hvt"])
    expect(await run(tender(bin).lookup("hvt", 2))).toBe(`${paths.dbdir}/solo5-hvt`)
    installFakeTender(bin, ["solo5-hvt.2"])
    expect(await run(tender(bin).lookup("hvt", 2))).toBe("solo5-hvt.2")
    installFakeTender(paths.dbdir, ["solo5-hvt.2"])
    expect(await run(tender(bin).lookup("hvt", 2))).toBe(`${paths.dbdir}/solo5-hvt.2`)
  })

  it("reports a missing tender with every place looked at", async () => {
    const { root, paths } = setup()
    writeFileSync(`${paths.dbdir}/solo5-spt`, "not executable")
    process.env["PATH"] = `${root}/empty`
    const err = await runFailure(makePosixTender({ os: "Linux", paths, runner: nodeCommandRunner }).lookup("spt", 3))
    expect(err.message).toBe(
      `tender does not exist, looked for ${paths.dbdir}/solo5-spt.3, solo5-spt.3, ${paths.dbdir}/solo5-spt, solo5-spt`
    )
  })

  it("checks `--version` for `ABI version <n>`", async () => {
    const { paths } = setup()
    installFakeTender(paths.dbdir, ["solo5-hvt"])
    process.env["FAKE_TENDER_ABI"] = "3"
    const t = makePosixTender({ os: "Linux", paths, runner: nodeCommandRunner })
    expect(await run(t.lookup("hvt", 3))).toBe(`${paths.dbdir}/solo5-hvt`)
    expect((await runFailure(t.lookup("hvt", 2))).message).toBe(
      "unexpected solo5 tender --version output, expected one line with 'ABI version 2', got solo5-hvt tender, version v0.12.1\nABI version 3"
    )
    expect(versionOutputMatches("ABI version 2 \n", 2)).toBe(false)
    expect(versionOutputMatches("x\nABI version 02\n", 2)).toBe(true)
  })

  it("gives up on a tender whose --version hangs", async () => {
    const { paths } = setup()
    writeFileSync(`${paths.dbdir}/solo5-hvt`, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 })
    const t = makePosixTender({ os: "Linux", paths, runner: nodeCommandRunner, versionTimeout: "300 millis" })
    expect((await runFailure(t.lookup("hvt", 2))).message).toBe(`cmd ${paths.dbdir}/solo5-hvt --version timed out`)
  })

  it("runs the tender's --version with stderr merged (recording runner)", async () => {
    const { paths } = setup()
    installFakeTender(paths.dbdir, ["solo5-spt.2"])
    const rec = makeRecordingRunner((argv, options) =>
      options?.mergeStderr === true ? { stdout: "solo5-spt tender, version v0.12.1\nABI version 2\n" } : undefined
    )
    await run(makePosixTender({ os: "Linux", paths, runner: rec.runner }).lookup("spt", 2))
    expect(rec.lines()).toEqual([`${paths.dbdir}/solo5-spt.2 --version`])
  })
})

describe("bhyve boot and cleanup through the recording runner (FreeBSD)", () => {
  it("runs bhyveload, grub-bhyve with a device map, and bhyvectl", async () => {
    const { paths } = setup()
    let deviceMap = ""
    const rec = makeRecordingRunner((argv) => {
      const m = argv.find((a) => a.startsWith("-m/"))
      if (argv[2] === "grub-bhyve" && m !== undefined) {
        deviceMap = readFileSync(m.slice(2), "utf8")
      }
      return undefined
    })
    const t = makePosixTender({ os: "FreeBSD", paths, runner: rec.runner })
    await run(t.bootBhyve({ vm: "alba-7", memory: 512, disk0: "/dev/zvol/tank/d0", linuxBootPartition: null }))
    await run(t.bootBhyve({ vm: "alba-8", memory: 256, disk0: "/dev/zvol/tank/d1", linuxBootPartition: "msdos1" }))
    await run(t.destroyBhyve("alba-7"))
    const lines = rec.lines()
    expect(lines[0]).toBe("timeout 1s bhyveload -m512m -d/dev/zvol/tank/d0 alba-7")
    expect(lines[1]).toMatch(/^timeout 1s grub-bhyve -m\/\S+ -rhd0,msdos1 -M256 alba-8$/)
    expect(lines[2]).toBe("bhyvectl --destroy --vm=alba-7")
    expect(deviceMap).toBe("(hd0) /dev/zvol/tank/d1\n")
  })

  it("reports a failing loader and refuses bhyve on Linux", async () => {
    const { paths } = setup()
    const rec = makeRecordingRunner(scriptTable({ "timeout 1s bhyveload -m64m -dd0 alba-1": { exitCode: 124 } }))
    const boot = { vm: "alba-1", memory: 64, disk0: "d0", linuxBootPartition: null }
    expect((await runFailure(makePosixTender({ os: "FreeBSD", paths, runner: rec.runner }).bootBhyve(boot))).message).toBe(
      "cmd timeout 1s bhyveload -m64m -dd0 alba-1 exited with 124"
    )
    expect((await runFailure(makePosixTender({ os: "Linux", paths, runner: rec.runner }).bootBhyve(boot))).message).toBe(
      "bhyve is only available on FreeBSD"
    )
  })
})

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (cond()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

// the same behaviour whether the daemon spawns the tender itself or through the perl helper
const helper = makeSpawnHelper()
afterAll(() => helper.close())
const spawners: ReadonlyArray<readonly [string, typeof spawnWithFifo]> = [
  ["node:child_process", spawnWithFifo],
  ["the spawn helper", (argv, fifo) => spawnThroughHelper(helper, argv, fifo)]
]

describe.each(spawners)("spawning with the console FIFO (spec §5.6-5.7), through %s", (_, spawnWithFifo) => {
  const prepare = async (guestArgs: ReadonlyArray<string>) => {
    await requireTool("mkfifo", "the spawn test")
    const { paths } = setup()
    installFakeTender(paths.dbdir, ["solo5-hvt"])
    const name = Either.getOrThrow(Name.fromString("alice:web"))
    writeFileSync(`${paths.tmpdir}/alice:web.img`, solo5Image({ devices: [{ kind: "block", name: "disk" }] }))
    writeFileSync(`${paths.dbdir}/block/alice:disk`, new Uint8Array(1 << 20))
    const fifo = `${paths.tmpdir}/fifo/alice:web`
    await run(makePosixFifo(nodeCommandRunner).create(fifo))
    const argv = solo5Argv({
      os: "Linux",
      tender: `${paths.dbdir}/solo5-hvt`,
      name,
      config: {
        cpuids: [0],
        memory: 32,
        bridges: [],
        blockDevices: [{ name: "disk", device: null, sectorSize: null }],
        addName: true,
        argv: guestArgs
      },
      taps: [],
      paths,
      dropPath: true
    })
    return { fifo, argv }
  }

  it("runs the tender pinned with taskset; the console gets its output; SIGTERM gives Exit 1", async () => {
    await requireTool("taskset", "the spawn test")
    const { fifo, argv } = await prepare(["--fake-lines=3", "--fake-sleep"])
    const console = readFifo(fifo)
    const handle = await run(spawnWithFifo(argv, fifo))
    expect(handle.pid).toBeGreaterThan(0)
    expect(Math.abs(handle.started.getTime() - Date.now())).toBeLessThan(60_000)
    const waiter = Effect.runFork(handle.exit)
    // wait until the guest printed its lines, then stop it
    await until(() => console.text().includes("line 3\n"), "the guest's lines")
    await run(handle.terminate)
    expect(await run(Fiber.join(waiter))).toEqual({ _tag: "Exit", code: 1 })
    expect(await run(handle.exit)).toEqual({ _tag: "Exit", code: 1 })
    const out = await console.done
    expect(out).toContain("Solo5: Bindings version v0.12.1")
    expect(out).toContain("line 3\n")
    expect(out).toContain("guest command line: --name=web --fake-lines=3 --fake-sleep")
    expect(out).toContain("solo5-hvt: Exiting on signal 15")
    await run(handle.terminate) // already gone: no error
  })

  it("reports exit codes and signals", async () => {
    const { fifo, argv } = await prepare(["--fake-exit=42"])
    const console = readFifo(fifo)
    const h = await run(spawnWithFifo(argv, fifo))
    expect(await run(h.exit)).toEqual({ _tag: "Exit", code: 42 })
    expect(await console.done).toContain("Solo5: solo5_exit(42) called")
    const again = await prepare(["--fake-signal=SEGV"])
    const console2 = readFifo(again.fifo)
    const h2 = await run(spawnWithFifo(again.argv, again.fifo))
    expect(await run(h2.exit)).toEqual({ _tag: "Signal", signal: 11 })
    await console2.done
  })

  it("reports a command that cannot be started, and a missing FIFO", async () => {
    const { fifo } = await prepare([])
    const console = readFifo(fifo)
    const err = await runFailure(spawnWithFifo(["/nonexistent/solo5-hvt", "--mem=1"], fifo))
    expect(err.message).toBe("cmd /nonexistent/solo5-hvt --mem=1 exits: No such file or directory")
    expect((await runFailure(spawnWithFifo(["true"], `${fifo}.missing`))).message).toBe(
      `file ${fifo}.missing error in open: No such file or directory`
    )
    // the reader sees end of file once our descriptors are closed
    await console.done
  })
})

describe("test tender layer", () => {
  it("records spawns and ends them on SIGTERM like hvt", async () => {
    const t = new TestTenders()
    expect(await run(t.service.lookup("spt", 2))).toBe("solo5-spt")
    t.lookupResult = { error: "tender does not exist, looked for x" }
    expect((await runFailure(t.service.lookup("hvt", 2))).message).toBe("tender does not exist, looked for x")
    expect(t.lookups).toEqual([{ target: "spt", abi: 2 }, { target: "hvt", abi: 2 }])
    const h = await run(t.service.spawn(["solo5-hvt", "--mem=1"], "/f"))
    expect(t.running().map((p) => p.pid)).toEqual([h.pid])
    await run(h.terminate)
    expect(await run(h.exit)).toEqual({ _tag: "Exit", code: 1 })
    const h2 = await run(t.service.spawn(["x"], "/g"))
    t.exit(h2.pid, { _tag: "Signal", signal: 9 })
    expect(await run(h2.exit)).toEqual({ _tag: "Signal", signal: 9 })
    expect(t.running()).toEqual([])
  })
})

