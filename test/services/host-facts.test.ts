import { statfsSync } from "node:fs"
import { mkdirSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { HostFactsFreeBsd } from "../../src/layers/freebsd/host-facts.js"
import { NetworkFreeBsd } from "../../src/layers/freebsd/network.js"
import { HostFactsLinux, makeHostFacts } from "../../src/layers/linux/host-facts.js"
import { NetworkLinux } from "../../src/layers/linux/network.js"
import { makeRecordingRunner, scriptTable } from "../../src/layers/test/command-runner.js"
import { TestHostFacts } from "../../src/layers/test/host-facts.js"
import { HostFacts, MAX_UNIKERNELS, rootPolicy } from "../../src/services/host-facts.js"
import { HostPaths } from "../../src/services/host-paths.js"
import { run, runFailure, tempDir } from "./support.js"

describe("root policy (spec §4.2 step 4)", () => {
  it("is composed from the host facts", async () => {
    const facts = new TestHostFacts({ cpus: 3, memoryMb: 2048, blockFilesystemMb: 500, bridges: ["br1", "br0"] })
    const policy = await run(Effect.provide(rootPolicy, facts.layer))
    expect(policy).toEqual({ unikernels: MAX_UNIKERNELS, cpuids: [0, 1, 2], memory: 2048, block: 500, bridges: ["br0", "br1"] })
    expect(MAX_UNIKERNELS).toBe(4611686018427387903n)
  })

  it("fails with `root policy failed: <cause>`", async () => {
    const facts = new TestHostFacts({ failure: "No such file or directory" })
    const err = await runFailure(Effect.provide(rootPolicy, facts.layer))
    expect(err.message).toBe("root policy failed: No such file or directory")
  })
})

describe("host facts on this host", () => {
  const layer = (dbdir: string, table: Parameters<typeof scriptTable>[0], os: "Linux" | "FreeBSD" = "Linux") => {
    const rec = makeRecordingRunner(scriptTable(table))
    const base = Layer.mergeAll(HostPaths.layer({ tmpdir: dbdir, dbdir }), rec.layer)
    const net = (os === "Linux" ? NetworkLinux : NetworkFreeBsd).pipe(Layer.provideMerge(base))
    return { rec, layer: (os === "Linux" ? HostFactsLinux : HostFactsFreeBsd).pipe(Layer.provide(net)) }
  }

  it("reads CPUs, memory, the block filesystem size and the bridges (Linux commands)", async () => {
    const dbdir = tempDir()
    mkdirSync(`${dbdir}/block`)
    const { rec, layer: l } = layer(dbdir, {
      "uname -s": { stdout: "Linux\n" },
      "ip -o link show type bridge": { stdout: "7: br0: <BROADCAST> mtu 1500\n" }
    })
    const policy = await run(Effect.provide(rootPolicy, l))
    const fs = statfsSync(`${dbdir}/block`, { bigint: true })
    expect(policy.cpuids.length).toBe(cpus().length)
    expect(policy.memory).toBe(Math.floor(totalmem() / 2 ** 20))
    expect(policy.block).toBe(Number((fs.blocks * fs.bsize) >> 20n))
    expect(policy.block).toBeGreaterThan(0)
    expect(policy.bridges).toEqual(["br0"])
    expect(await run(Effect.provide(Effect.flatMap(HostFacts, (f) => f.os), l))).toBe("Linux")
    expect(rec.lines()).toEqual(["ip -o link show type bridge", "uname -s"])
  })

  it("fails with the errno text when the block directory is missing", async () => {
    const dbdir = tempDir()
    const { layer: l } = layer(dbdir, {})
    expect((await runFailure(Effect.provide(rootPolicy, l))).message).toBe("root policy failed: No such file or directory")
  })

  it("FreeBSD lists bridges with ifconfig -g bridge", async () => {
    const dbdir = tempDir()
    mkdirSync(`${dbdir}/block`)
    const { rec, layer: l } = layer(dbdir, { "ifconfig -g bridge": { stdout: "bridge0\n" } }, "FreeBSD")
    expect((await run(Effect.provide(rootPolicy, l))).bridges).toEqual(["bridge0"])
    expect(rec.lines()).toEqual(["ifconfig -g bridge"])
  })

  it("checks the required tools on PATH (spec §4.2 step 3)", async () => {
    const dbdir = tempDir()
    const rec = makeRecordingRunner()
    const net = { createTap: () => Effect.die("unused"), destroyTap: () => Effect.die("unused"), checkBridge: () => Effect.die("unused"), listBridges: Effect.succeed([]) }
    const saved = process.env["PATH"]
    try {
      process.env["PATH"] = tempDir()
      const err = await runFailure(makeHostFacts("Linux", { tmpdir: dbdir, dbdir }, rec.runner, net).checkTools)
      expect(err.message).toBe("required tool uname not found on PATH")
    } finally {
      process.env["PATH"] = saved
    }
  })

  it("rejects an unknown OS", async () => {
    const dbdir = tempDir()
    const { layer: l } = layer(dbdir, { "uname -s": { stdout: "Plan9\n" } })
    const err = await runFailure(Effect.provide(Effect.flatMap(HostFacts, (f) => f.os), l))
    expect(err.message).toBe("unsupported operating system Plan9")
  })
})
