/** Unikernel commands of spec §4.4 on the fake host, over the real socket. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { config, create, destroy, infoCmd, replyText, setup } from "./support.js"

describe("albatrossd unikernel commands", () => {
  it.scoped("create, info, destroy: replies echo the header; resources are made and released", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const created = yield* t.ask("alice:web", create(config({ bridges: [{ netif: "service", bridge: null, mac: null }] })), 42n)
      expect(created.header.sequence).toBe(42n)
      expect(created.header.name.toString()).toBe("alice:web")
      expect(replyText(created)).toBe("success:created unikernel")
      expect(t.console.added.map((a) => a.name)).toEqual(["alice:web"])
      expect(t.fake.live()).toHaveLength(1)
      const p = t.fake.live()[0]!
      expect(p.argv.join(" ")).toBe(
        `taskset -c 0 solo5-hvt --mem=32 --net:service=vmmtap0 --net-mac:service=00:80:41:03:9d:1a -- ${t.dir}/alice:web.img`
      )
      expect(t.fake.files.has(`${t.dir}/alice:web.img`)).toBe(true)
      expect(t.fake.files.get(`${t.dir}/fifo/alice:web`)).toBe("fifo")
      expect(t.fake.state()?.unikernels.map((u) => u.name.toString())).toEqual(["alice:web"])

      const info = yield* t.ask("alice:", infoCmd)
      expect(info.payload._tag === "Success" && info.payload.success._tag === "UnikernelInfo").toBe(true)
      if (info.payload._tag === "Success" && info.payload.success._tag === "UnikernelInfo") {
        const [u] = info.payload.success.unikernels
        expect(u?.name.toString()).toBe(":web")
        expect(u?.info.bridges).toEqual([{ unikernelDevice: "service", hostDevice: "service", mac: "00:80:41:03:9d:1a" }])
        expect(u?.info.digest.length).toBe(32)
      }

      expect(yield* t.say("alice:web", create())).toBe("failure:Unikernel with same name is already running")
      expect(yield* t.say("alice:web", destroy)).toBe("success:destroyed unikernel")
      expect(p.terminated).toBe(1)
      expect(t.fake.live()).toHaveLength(0)
      expect(t.fake.taps.size).toBe(0)
      expect(t.fake.files.size).toBe(0)
      expect(t.fake.state()?.unikernels).toEqual([])
      expect(yield* t.say("alice:web", destroy)).toBe("failure:destroy: not found")
    }))

  it.scoped("a create failing half-way releases what it made and names the cause", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      const two = config({ bridges: [{ netif: "a", bridge: "br0", mac: null }, { netif: "b", bridge: "service", mac: null }] })
      t.fake.failures.set("spawn", "cmd solo5-hvt exits: ENOENT")
      expect(yield* t.say("web", create(two))).toBe("failure:could not create unikernel: cmd solo5-hvt exits: ENOENT")
      expect(t.fake.tapLog).toEqual(["add vmmtap0", "add vmmtap1", "del vmmtap1", "del vmmtap0"])
      expect(t.fake.files.size).toBe(0)
      t.fake.failures.clear()
      expect(yield* t.say("web", create(config({ bridges: [{ netif: "x", bridge: "gone", mac: null }] })))).toBe(
        "failure:interface gone does not exist"
      )
      expect(t.fake.files.size).toBe(0)
      t.console.refuse = "too many"
      expect(yield* t.say("web", create(two))).toBe("failure:could not create unikernel: console failed (too many)")
      expect(t.fake.taps.size).toBe(0)
      expect(t.fake.files.size).toBe(0)
      // the state listing a create is written during its spawn; a failed create writes it again without
      expect(t.fake.state()?.unikernels ?? []).toEqual([])
      t.console.refuse = undefined
      expect(yield* t.say("web", create(two))).toBe("success:created unikernel")
    }))

  it.scoped("get returns the image, compressed as asked", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create())
      const raw = yield* t.ask("web", { _tag: "UnikernelGet", level: 0 })
      expect(raw.payload._tag === "Success" && raw.payload.success._tag === "UnikernelImage" && !raw.payload.success.compressed).toBe(true)
      if (raw.payload._tag === "Success" && raw.payload.success._tag === "UnikernelImage")
        expect(Buffer.from(raw.payload.success.image).equals(Buffer.from(config().image))).toBe(true)
      const z = yield* t.ask("web", { _tag: "UnikernelGet", level: 9 })
      expect(z.payload._tag === "Success" && z.payload.success._tag === "UnikernelImage" && z.payload.success.compressed).toBe(true)
      expect(yield* t.say("other", { _tag: "UnikernelGet", level: 0 })).toBe("failure:get: no unikernel found")
    }))

  it.scoped("force-create replaces a running unikernel; restart with new arguments; info follows each run", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      // the daemon keeps one info object per run (encoded once): each new run must show its own
      const listed = Effect.map(t.ask("web", infoCmd), (r) =>
        r.payload._tag === "Success" && r.payload.success._tag === "UnikernelInfo"
          ? r.payload.success.unikernels.map((u) => `${u.info.memory} ${(u.info.argv ?? []).join(" ")}`)
          : [replyText(r)]
      )
      yield* t.say("web", create())
      expect(yield* listed).toEqual(["32 "])
      expect(yield* listed).toEqual(["32 "])
      expect(yield* t.say("web", { _tag: "UnikernelForceCreate", config: config({ memory: 64 }) })).toBe("success:created unikernel")
      expect(yield* listed).toEqual(["64 "])
      expect(t.fake.processes[0]!.terminated).toBe(1)
      expect(t.fake.live().map((p) => p.argv[4])).toEqual(["--mem=64"])
      const args = { ...config(), argv: ["--hello"], memory: 48 }
      const { typ: _t, compressed: _c, image: _i, ...restartArgs } = args
      expect(yield* t.say("web", { _tag: "UnikernelRestart", args: restartArgs })).toBe("success:created unikernel")
      expect(t.fake.live().map((p) => p.argv.slice(4).join(" "))).toEqual([`--mem=48 -- ${t.dir}/:web.img --hello`])
      expect(t.fake.state()?.unikernels[0]?.config.memory).toBe(48)
      expect(yield* listed).toEqual(["48 --hello"])
      expect(yield* t.say("web", { _tag: "UnikernelRestart", args: null })).toBe("success:created unikernel")
      expect(t.fake.live()).toHaveLength(1)
      expect(yield* t.say("nothing", { _tag: "UnikernelRestart", args: null })).toBe("failure:destroy: not found")
      // force-create of something not running is a create
      expect(yield* t.say("new", { _tag: "UnikernelForceCreate", config: config() })).toBe("success:created unikernel")
    }))

  it.scoped("a restart whose re-create fails leaves nothing stale in the state file (deliberate fix)", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("web", create())
      expect(t.fake.state()?.unikernels).toHaveLength(1)
      t.fake.failures.set("spawn", "cmd solo5-hvt exits: ENOENT")
      expect(yield* t.say("web", { _tag: "UnikernelRestart", args: null })).toBe(
        "failure:could not create unikernel: cmd solo5-hvt exits: ENOENT"
      )
      expect(t.fake.live()).toHaveLength(0)
      expect(t.fake.state()?.unikernels).toEqual([])
      // a restart with arguments that do not match the manifest changes nothing
      t.fake.failures.clear()
      yield* t.say("web", create())
      t.fake.failures.set("checkManifest", "specified bridge(s) does not match with the manifest. Devices present in manifest: ")
      const { typ: _t, compressed: _c, image: _i, ...args } = config({ bridges: [{ netif: "x", bridge: "br0", mac: null }] })
      expect(yield* t.say("web", { _tag: "UnikernelRestart", args })).toMatch(/^failure:specified bridge\(s\) does not match/)
      expect(t.fake.live()).toHaveLength(1)
    }))

  it.scoped("old info encodings answer in their own variant; multi-CPU unikernels are refused there", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      yield* t.say("one", create())
      for (const tag of ["OldUnikernelInfo4", "OldUnikernelInfo5"] as const) {
        const r = yield* t.ask(":", { _tag: tag })
        expect(r.payload._tag === "Success" ? r.payload.success._tag : r.payload._tag).toBe(tag)
      }
      yield* t.say("two", create(config({ cpuids: [0, 1] })))
      expect(yield* t.say(":", { _tag: "OldUnikernelInfo5" })).toBe(
        "failure:the requested (old) info format cannot encode a unikernel with other than one CPU id"
      )
      // info of a name that does not run is an empty list
      const none = yield* t.ask("nothing", { _tag: "UnikernelInfo" })
      expect(none.payload).toEqual({ _tag: "Success", success: { _tag: "UnikernelInfo", unikernels: [] } })
    }))

  it.scoped("console and stats commands are unknown here; one request per connection", () =>
    Effect.gen(function* () {
      const t = yield* setup()
      expect(yield* t.say("web", { _tag: "ConsoleSubscribe", query: { _tag: "Count", count: 1n } })).toBe("failure:unknown command")
      expect(yield* t.say("web", { _tag: "StatsSubscribe" })).toBe("failure:unknown command")
    }))
})
