/**
 * albatrossd on the host services (src/services) through host-live.ts, with the deterministic
 * test layers of src/layers/test: the real image checks on a Solo5 ELF, taps on the test
 * network, spawns recorded by the test tender, the state in the test store; Linux and FreeBSD
 * command lines.
 */
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { Host } from "../../src/daemons/albatrossd/host.js"
import { hostFromServices } from "../../src/daemons/albatrossd/host-live.js"
import { defaultOptions } from "../../src/daemons/albatrossd/options.js"
import { startDaemon } from "../../src/daemons/albatrossd/startup.js"
import { makeTestHost } from "../../src/layers/test/host-services.js"
import { solo5Image } from "../fixtures/solo5-image.js"
import { askAt, config, consolePeer, replyText, tmpRuntimeDir, waitUntil } from "./support.js"

const start = (os: "linux" | "freebsd") =>
  Effect.gen(function* () {
    const dir = tmpRuntimeDir("albatrossd-live-")
    const th = makeTestHost({ paths: { tmpdir: dir, dbdir: path.join(dir, "db") }, bridges: ["br0"] })
    yield* consolePeer(dir)
    const host = Layer.effect(Host, hostFromServices(os)).pipe(Layer.provide(th.layer))
    const daemon = yield* Effect.provide(
      startDaemon({ ...defaultOptions(dir, path.join(dir, "db")), consoleTimeout: Duration.seconds(5) }),
      host
    )
    return { dir, th, daemon, say: (n: string, c: Parameters<ReturnType<typeof askAt>>[1]) => Effect.map(askAt(dir)(n, c), replyText) }
  })

const image = solo5Image({ target: "hvt", abi: 2, devices: [{ kind: "net", name: "service" }] })
const withNet = config({ image, bridges: [{ netif: "service", bridge: "br0", mac: null }], addName: true })

describe("albatrossd on the host services (test layers)", () => {
  for (const [os, pin] of [
    ["linux", "taskset -c 0"],
    ["freebsd", "cpuset -l 0"]
  ] as const) {
    it.scoped(`${os}: create checks the real image, makes a tap, spawns the tender; destroy undoes it`, () =>
      Effect.gen(function* () {
        const t = yield* start(os)
        expect(yield* t.say("alice:web", { _tag: "UnikernelCreate", config: withNet })).toBe("success:created unikernel")
        const [p] = t.th.tenders.running()
        expect(p!.argv.join(" ")).toBe(
          `${pin} solo5-hvt --mem=32 --net:service=${[...t.th.network.taps.keys()][0]} --net-mac:service=00:80:41:03:9d:1a -- ${t.dir}/alice:web.img --name=web`
        )
        expect(t.th.images.files.has(`${t.dir}/alice:web.img`)).toBe(true)
        expect(t.th.state.current().unikernels.map((u) => u.name.toString())).toEqual(["alice:web"])
        expect(yield* t.say("alice:web", { _tag: "UnikernelDestroy" })).toBe("success:destroyed unikernel")
        expect(t.th.network.taps.size).toBe(0)
        expect(t.th.images.files.size).toBe(0)
        expect(t.th.state.current().unikernels).toEqual([])
      }))
  }

  it.scoped("the manifest must match the configuration; a missing bridge is refused", () =>
    Effect.gen(function* () {
      const t = yield* start("linux")
      expect(yield* t.say("web", { _tag: "UnikernelCreate", config: config({ image }) })).toBe(
        'failure:specified bridge(s) does not match with the manifest. Devices present in manifest: net "service"'
      )
      expect(yield* t.say("web", { _tag: "UnikernelCreate", config: config({ image: new Uint8Array([1, 2, 3]) }) })).toMatch(/^failure:/)
      expect(t.th.images.files.size).toBe(0)
    }))

  it.scoped("a tender that exits with 64 after an injected --name is started again without it", () =>
    Effect.gen(function* () {
      const t = yield* start("linux")
      yield* t.say("web", { _tag: "UnikernelCreate", config: withNet })
      const [p] = t.th.tenders.running()
      t.th.tenders.exit(p!.pid, { _tag: "Exit", code: 64 })
      yield* waitUntil("second spawn", () => t.th.tenders.running().length === 1 && t.th.tenders.spawned.length === 2)
      expect(t.th.tenders.running()[0]!.argv.some((a) => a.startsWith("--name="))).toBe(false)
      expect(t.th.state.current().unikernels[0]?.config.addName).toBe(false)
    }))
})
