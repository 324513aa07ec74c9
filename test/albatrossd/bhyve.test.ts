/** bhyve virtual machines on a FreeBSD host (spec §5.6), on the fake host. */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { connectUnix } from "../../src/net/connection.js"
import { vmmdSocketPath } from "../../src/daemons/albatrossd/startup.js"
import { makeFakeHost } from "./fake-host.js"
import { command, config, create, destroy, setup } from "./support.js"

const vm = config({
  typ: "bhyve",
  image: new Uint8Array(),
  memory: 64,
  numcpus: 2,
  bridges: [{ netif: "0", bridge: "br0", mac: null }],
  blockDevices: [{ name: "0", device: "disk", sectorSize: null }]
})

describe("albatrossd bhyve", () => {
  it.scoped("boot loader, command line, VM name as digest and vmm device, bhyvectl --destroy on exit", () =>
    Effect.gen(function* () {
      const fake = makeFakeHost({ os: "freebsd", blocks: [{ name: ":disk", size: 1 }] })
      const t = yield* setup({ fake })
      const stats = yield* connectUnix(vmmdSocketPath(t.dir))
      yield* stats.writeWire(command(":", { _tag: "StatsInitial" }))
      yield* stats.readWireUntimed
      expect(yield* t.say("bsd", create(vm))).toBe("success:created unikernel")
      const argv = fake.live()[0]!.argv
      const name = argv.at(-1)!
      expect(name).toMatch(/^alba-\d+$/)
      expect(argv.join(" ")).toBe(
        `bhyve -A -H -P -s0,hostbridge -s1,lpc -s2,virtio-net,vmmtap0,mac=${t.daemon.supervised.get("bsd")!.running!.taps[0]!.mac} -s3,virtio-blk,disk -lcom1,stdio -c2 -m64M ${name}`
      )
      expect(fake.bhyveLog).toEqual([`boot ${name} 64 disk -`])
      expect(new TextDecoder().decode(t.daemon.supervised.get("bsd")!.running!.digest)).toBe(name)
      const add = yield* stats.readWireUntimed
      expect(Option.map(add, (w) => (w.payload._tag === "Command" && w.payload.command._tag === "StatsAdd" ? w.payload.command.vmmdev : ""))).toEqual(
        Option.some(name)
      )
      // restart with new arguments works for bhyve (no Solo5 manifest to check)
      const { typ: _t, compressed: _c, image: _i, ...args } = { ...vm, memory: 128 }
      expect(yield* t.say("bsd", { _tag: "UnikernelRestart", args })).toBe("success:created unikernel")
      expect(fake.bhyveLog[1]).toBe(`destroy ${name}`)
      expect(yield* t.say("bsd", destroy)).toBe("success:destroyed unikernel")
      expect(fake.bhyveLog).toHaveLength(4)
      expect(fake.bhyveLog[3]).toMatch(/^destroy alba-/)
    }))

  it.scoped("device names must count up from 0; block 0 needs a host device", () =>
    Effect.gen(function* () {
      const t = yield* setup({ fake: makeFakeHost({ os: "freebsd", blocks: [{ name: ":disk", size: 1 }] }) })
      expect(yield* t.say("bsd", create({ ...vm, bridges: [{ netif: "net0", bridge: "br0", mac: null }] }))).toBe(
        "failure:network device on br0 with name net0 not in ascending order (expected 0)"
      )
      expect(yield* t.say("bsd", create({ ...vm, blockDevices: [] }))).toBe("failure:couldn't find initial block device")
      expect(t.fake.taps.size).toBe(0)
      expect(t.fake.files.size).toBe(0)
    }))
})
