import { Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { HostServicesFreeBsd } from "../../src/layers/freebsd/host-services.js"
import { nodeCommandRunner, prefixedCommandRunner } from "../../src/layers/linux/command-runner.js"
import { HostServicesLinux } from "../../src/layers/linux/host-services.js"
import { makeRecordingRunner, scriptTable } from "../../src/layers/test/command-runner.js"
import { makeTestHost } from "../../src/layers/test/host-services.js"
import { runChecked } from "../../src/services/command-runner.js"
import { Fifo } from "../../src/services/fifo.js"
import { HostFacts, rootPolicy } from "../../src/services/host-facts.js"
import { Network } from "../../src/services/network.js"
import { Tender } from "../../src/services/tender.js"
import { run, runFailure, tempDir } from "./support.js"

describe("node command runner", () => {
  it("captures stdout, stderr and the exit status, without a shell", async () => {
    const r = await run(nodeCommandRunner.run(["sh", "-c", "echo out; echo err >&2; exit 3"]))
    expect(r).toEqual({ exitCode: 3, signal: null, stdout: "out\n", stderr: "err\n" })
    const literal = await run(nodeCommandRunner.run(["echo", "$HOME", "a;b", "`x`"]))
    expect(literal.stdout).toBe("$HOME a;b `x`\n")
  })

  it("merges stderr into stdout on request, passes stdin, reports signals", async () => {
    const r = await run(nodeCommandRunner.run(["sh", "-c", "echo a; echo b >&2"], { mergeStderr: true }))
    expect(r.stdout.split("\n").sort()).toEqual(["", "a", "b"])
    expect(r.stderr).toBe("")
    expect((await run(nodeCommandRunner.run(["cat"], { stdin: "hello" }))).stdout).toBe("hello")
    const killed = await run(nodeCommandRunner.run(["sh", "-c", "kill -TERM $$"]))
    expect([killed.exitCode, killed.signal]).toEqual([null, "SIGTERM"])
  })

  it("a command that cannot start is a CommandError with the errno text", async () => {
    const err = await runFailure(nodeCommandRunner.run(["/nonexistent/tool", "x"]))
    expect(err._tag).toBe("CommandError")
    expect(err.message).toBe("cmd /nonexistent/tool x exits: No such file or directory")
    expect((await runFailure(nodeCommandRunner.run([]))).message).toBe("empty command line")
  })

  it("runChecked fails on a non-zero exit with the command line and stderr", async () => {
    const rec = makeRecordingRunner(scriptTable({ "ip link show x": { exitCode: 1, stderr: 'Device "x" does not exist.\n' } }))
    const err = await runFailure(Effect.provide(runChecked(["ip", "link", "show", "x"]), rec.layer))
    expect(err.message).toBe('cmd ip link show x exited with 1: Device "x" does not exist.')
    const out = await run(Effect.provide(runChecked(["ip", "tuntap", "show"]), rec.layer))
    expect(out).toBe("")
  })

  it("prefixes every command (network namespace tests)", async () => {
    const rec = makeRecordingRunner()
    await run(prefixedCommandRunner(["ip", "netns", "exec", "ns1"], rec.runner).run(["ip", "tuntap", "show"]))
    expect(rec.lines()).toEqual(["ip netns exec ns1 ip tuntap show"])
  })

  it("the recording runner can script spawn errors", async () => {
    const rec = makeRecordingRunner(() => ({ spawnError: "Permission denied" }))
    expect((await runFailure(rec.runner.run(["mkfifo", "x"]))).message).toBe("cmd mkfifo x exits: Permission denied")
  })
})

describe("all host services together", () => {
  it("FreeBSD services run the FreeBSD command lines (recording runner)", async () => {
    const dbdir = tempDir()
    const rec = makeRecordingRunner(scriptTable({ "ifconfig tap create": { stdout: "tap0\n" } }))
    const layer = HostServicesFreeBsd({ tmpdir: dbdir, dbdir }, rec.runner)
    await run(
      Effect.provide(
        Effect.gen(function* () {
          const net = yield* Network
          yield* net.checkBridge("bridge0")
          const tap = yield* net.createTap("bridge0")
          yield* net.destroyTap(tap)
          yield* (yield* Tender).destroyBhyve("alba-1")
          yield* (yield* Fifo).create(`${dbdir}/f`)
        }),
        layer
      )
    )
    expect(rec.lines()).toEqual([
      "ifconfig bridge0",
      "ifconfig tap create",
      "ifconfig bridge0 addm tap0",
      "ifconfig tap0 destroy",
      "bhyvectl --destroy --vm=alba-1",
      `mkfifo -m 0640 ${dbdir}/f`
    ])
  })

  it("Linux services build and answer host facts", async () => {
    const dbdir = tempDir()
    const rec = makeRecordingRunner(scriptTable({ "uname -s": { stdout: "Linux\n" } }))
    const layer = HostServicesLinux({ tmpdir: dbdir, dbdir }, rec.runner)
    const os = await run(Effect.provide(Effect.flatMap(HostFacts, (f) => f.os), layer))
    expect(os).toBe("Linux")
    const policy = await run(Effect.provide(Effect.either(rootPolicy), layer))
    // no block directory in the temp dbdir: statfs fails
    expect(Either.isLeft(policy) && policy.left.message).toBe("root policy failed: No such file or directory")
  })

  it("the test host bundles every deterministic layer", async () => {
    const host = makeTestHost({ bridges: ["br0", "br1"] })
    const policy = await run(Effect.provide(rootPolicy, host.layer))
    expect(policy.bridges).toEqual(["br0", "br1"])
    const tap = await run(Effect.provide(Effect.flatMap(Network, (n) => n.createTap("br1")), host.layer))
    expect(host.network.taps.get(tap)).toBe("br1")
  })
})
