import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { makeFreeBsdNetwork, parseFreeBsdBridges } from "../../src/layers/freebsd/network.js"
import { prefixedCommandRunner } from "../../src/layers/linux/command-runner.js"
import { makeLinuxNetwork, parseLinuxBridges, smallestFreeTap, usedTapNumbers } from "../../src/layers/linux/network.js"
import { makeRecordingRunner, scriptTable } from "../../src/layers/test/command-runner.js"
import { TestNetwork } from "../../src/layers/test/network.js"
import { requireRoot, requireTool, run, runFailure, sh } from "./support.js"

const TUNTAP_SHOW = "vmmtap0: tap persist\nvmmtap2: tap persist\ntap7: tap\nvmmtapx: tap\nshort\n"

describe("Linux network through the recording runner (spec §5.1-5.2)", () => {
  it("picks the smallest free vmmtap and runs exactly the reference's commands", async () => {
    const rec = makeRecordingRunner(scriptTable({ "ip tuntap show": { stdout: TUNTAP_SHOW } }))
    const tap = await run(makeLinuxNetwork(rec.runner).createTap("br0"))
    expect(tap).toBe("vmmtap1")
    expect(rec.lines()).toEqual([
      "ip tuntap show",
      "ip tuntap add vmmtap1 mode tap",
      "ip link set dev vmmtap1 up",
      "ip link set dev vmmtap1 master br0"
    ])
  })

  it("parses tap numbers like the reference (prefix not checked)", () => {
    expect([...usedTapNumbers(TUNTAP_SHOW)].sort()).toEqual([0, 2])
    expect(usedTapNumbers("abcdef12: tun\n").has(12)).toBe(true)
    expect(smallestFreeTap(new Set([0, 1, 3]))).toBe("vmmtap2")
  })

  it("removes a tap that could not join the bridge", async () => {
    const rec = makeRecordingRunner(
      scriptTable({ "ip link set dev vmmtap0 master nope": { exitCode: 1, stderr: "Cannot find device \"nope\"" } })
    )
    const err = await runFailure(makeLinuxNetwork(rec.runner).createTap("nope"))
    expect(err.message).toContain("ip link set dev vmmtap0 master nope")
    expect(rec.lines().at(-1)).toBe("ip tuntap del dev vmmtap0 mode tap")
  })

  it("destroys, checks bridges and lists them", async () => {
    const rec = makeRecordingRunner(
      scriptTable({
        "ip link show missing": { exitCode: 1, stderr: 'Device "missing" does not exist.' },
        "ip -o link show type bridge": {
          stdout: "4: br1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop\n3: br0: <BROADCAST> mtu 1500\n"
        }
      })
    )
    const net = makeLinuxNetwork(rec.runner)
    await run(net.destroyTap("vmmtap3"))
    await run(net.checkBridge("br0"))
    expect((await runFailure(net.checkBridge("missing"))).message).toBe("interface missing does not exist")
    expect(await run(net.listBridges)).toEqual(["br0", "br1"])
    expect(rec.lines()).toEqual([
      "ip tuntap del dev vmmtap3 mode tap",
      "ip link show br0",
      "ip link show missing",
      "ip -o link show type bridge"
    ])
    expect(parseLinuxBridges("")).toEqual([])
  })
})

describe("FreeBSD network through the recording runner (spec §5.1-5.2)", () => {
  it("runs exactly the reference's ifconfig commands", async () => {
    const rec = makeRecordingRunner(
      scriptTable({
        "ifconfig tap create": { stdout: "tap3\n" },
        "ifconfig bridge9": { exitCode: 1, stderr: "ifconfig: interface bridge9 does not exist" },
        "ifconfig -g bridge": { stdout: "bridge1\nbridge0\n" }
      })
    )
    const net = makeFreeBsdNetwork(rec.runner)
    expect(await run(net.createTap("bridge0"))).toBe("tap3")
    await run(net.destroyTap("tap3"))
    await run(net.checkBridge("bridge0"))
    expect((await runFailure(net.checkBridge("bridge9"))).message).toBe("interface bridge9 does not exist")
    expect(await run(net.listBridges)).toEqual(["bridge0", "bridge1"])
    expect(rec.lines()).toEqual([
      "ifconfig tap create",
      "ifconfig bridge0 addm tap3",
      "ifconfig tap3 destroy",
      "ifconfig bridge0",
      "ifconfig bridge9",
      "ifconfig -g bridge"
    ])
    expect(parseFreeBsdBridges("  \n")).toEqual([])
  })

  it("destroys the tap when addm fails", async () => {
    const rec = makeRecordingRunner(
      scriptTable({ "ifconfig tap create": { stdout: "tap0\n" }, "ifconfig nobr addm tap0": { exitCode: 1 } })
    )
    await runFailure(makeFreeBsdNetwork(rec.runner).createTap("nobr"))
    expect(rec.lines()).toEqual(["ifconfig tap create", "ifconfig nobr addm tap0", "ifconfig tap0 destroy"])
  })
})

describe("test network layer", () => {
  it("numbers taps like Linux and fails on unknown bridges", async () => {
    const t = new TestNetwork(["br0"])
    expect(await run(t.service.createTap("br0"))).toBe("vmmtap0")
    expect(await run(t.service.createTap("br0"))).toBe("vmmtap1")
    await run(t.service.destroyTap("vmmtap0"))
    expect(await run(t.service.createTap("br0"))).toBe("vmmtap0")
    expect((await runFailure(t.service.checkBridge("br9"))).message).toBe("interface br9 does not exist")
  })
})

describe("Linux network layer on a real kernel, inside a network namespace", () => {
  it("creates a tap on a real bridge, lists and checks the bridge, destroys the tap", async () => {
    requireRoot("the real Linux network test")
    await requireTool("ip", "the real Linux network test")
    const ns = `alb-svc-${randomBytes(3).toString("hex")}`
    sh(["ip", "netns", "add", ns])
    try {
      const inNs = (argv: ReadonlyArray<string>) => sh(["ip", "netns", "exec", ns, ...argv])
      inNs(["ip", "link", "add", "name", "albbr0", "type", "bridge"])
      const net = makeLinuxNetwork(prefixedCommandRunner(["ip", "netns", "exec", ns]))
      expect(await run(net.listBridges)).toEqual(["albbr0"])
      await run(net.checkBridge("albbr0"))
      expect((await runFailure(net.checkBridge("albbr9"))).message).toBe("interface albbr9 does not exist")
      const tap0 = await run(net.createTap("albbr0"))
      const tap1 = await run(net.createTap("albbr0"))
      expect([tap0, tap1]).toEqual(["vmmtap0", "vmmtap1"])
      const link = inNs(["ip", "-o", "link", "show", "vmmtap1"])
      expect(link).toContain("master albbr0")
      expect(link).toMatch(/[<,]UP[,>]/)
      await run(net.destroyTap("vmmtap0"))
      expect(await run(net.createTap("albbr0"))).toBe("vmmtap0")
      await run(Effect.all([net.destroyTap("vmmtap0"), net.destroyTap("vmmtap1")]))
      expect(inNs(["ip", "tuntap", "show"]).trim()).toBe("")
    } finally {
      execFileSync("ip", ["netns", "del", ns])
    }
  })
})

describe("Linux tap creation under concurrency", () => {
  it("concurrent creates never pick the same tap", async () => {
    const taps = new Set<string>()
    const rec = makeRecordingRunner((argv) => {
      const line = argv.join(" ")
      if (line === "ip tuntap show") return { stdout: [...taps].map((t) => `${t}: tap persist\n`).join("") }
      if (argv[2] === "add") taps.add(argv[3]!)
      return undefined
    })
    // every command yields, so fibers interleave between `show` and `add`
    const yielding = { run: (argv: ReadonlyArray<string>) => Effect.zipRight(Effect.yieldNow(), rec.runner.run(argv)) }
    const net = makeLinuxNetwork(yielding)
    const created = await run(Effect.all(Array.from({ length: 8 }, () => net.createTap("br0")), { concurrency: "unbounded" }))
    expect(new Set(created).size).toBe(8)
    expect([...created].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `vmmtap${i}`).sort())
  })
})
